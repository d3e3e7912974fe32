//! The explorer's state and its pure `update(state, action)`; no terminal here.
