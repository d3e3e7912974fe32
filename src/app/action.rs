//! What the user (or a timer) asks the explorer to do. Keys become actions through
//! the one table in [`super::keymap`]; mouse and typed text carry their data here.

/// One request to [`super::update::update`]. `Copy` so that the keymap table can hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    /// Collapse, or go to the parent on a leaf or collapsed node.
    Left,
    /// Expand, or step into the first child.
    Right,
    Toggle,
    Top,
    Bottom,
    PageUp,
    PageDown,
    ExpandSubtree,
    CollapseAll,
    /// `a`: the selected entry's next appearance (an entry with several parents).
    NextAppearance,
    FocusNext,
    /// Shift-Tab: the pane before.
    FocusPrev,
    PlanePicker,
    SearchStart,
    NextMatch,
    PrevMatch,
    ToggleFilter,
    JumpStart,
    ExplainStart,
    Copy,
    Refresh,
    Help,
    /// `i`: the load report (format, reader, clipped and truncated lines, warnings).
    LoadReport,
    /// `q`: quit from anywhere but a text prompt.
    Quit,
    /// Esc: back out of a popup, prompt, filter or search; never quits.
    Back,
    Suspend,
    Retain,
    Release,
    Obtain,
    HandleTable,
    TogglePlug,
    /// Enter in a prompt or list.
    Accept,
    Backspace,
    /// Cycle the sort column of the handle table.
    SortNext,
    /// `s`: the properties pane in key order, or back in file order.
    SortProps,
    /// `x`: export the selected subtree (or the plane) to a file named in a prompt.
    Export,
    /// `v`: the next view of the selected property value (le32, strings, EDID, hex…).
    CycleView,
    /// Backspace or `'`: back to the entry a followed reference came from.
    GoBack,
    /// `Z`: the focused pane fills the screen, or gives it back.
    Zoom,
    /// `c`: the classes table.
    Classes,
    /// `u`: the user clients per process.
    Clients,
    /// `P`: another process's IOKit names by class (asks for a PID or process name).
    Ports,
    /// `b`: the current state becomes the baseline later refreshes are compared with.
    Baseline,
    /// `d`: only the changes since the baseline (and their ancestors).
    ChangesFilter,
    /// `]`/`[`: the next or previous change.
    NextChange,
    PrevChange,
    /// `t`: a recording's timeline.
    Timeline,
    /// Space in the timeline: play or pause.
    PlayPause,
    /// `+`/`-` in the timeline: play faster or slower.
    Faster,
    Slower,
    /// A character typed into a prompt.
    Input(char),
    /// A left click at a screen cell.
    Click {
        x: u16,
        y: u16,
    },
    /// Mouse wheel over a screen cell; `down` scrolls towards the end.
    Wheel {
        x: u16,
        y: u16,
        down: bool,
    },
}
