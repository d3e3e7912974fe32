//! The one keymap table. Dispatch (`lookup`) and the `?` help screen both read
//! [`KEYMAP`], so the help can never disagree with what the keys do.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main screen (tree, details, properties).
    Main,
    /// A text prompt (`/`, `:`, `e`): other printable keys are typed in.
    Prompt,
    /// A list popup (plane picker, handle table, hex view).
    List,
    /// The help screen.
    Help,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Main => "Explorer",
            Context::Prompt => "Prompts (search, properties filter, jump, explain, ports)",
            Context::List => "Lists (planes, handles, classes, clients, ports, hex view, timeline)",
            Context::Help => "Help and load report",
        }
    }
}

/// A key with its modifiers, as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
const fn shift(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::SHIFT,
    }
}
const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

/// One row of the table: the keys, where they apply, what they do, and the help text.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

const fn b(context: Context, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        context,
        keys,
        action,
        help,
    }
}

use Context::{Help as H, List as L, Main as M, Prompt as P};
use KeyCode as C;

/// Every key the explorer understands.
pub static KEYMAP: &[Binding] = &[
    b(M, &[k('j'), code(C::Down)], Action::Down, "move down"),
    b(M, &[k('k'), code(C::Up)], Action::Up, "move up"),
    b(
        M,
        &[k('h'), code(C::Left)],
        Action::Left,
        "collapse, or go to the parent",
    ),
    b(M, &[k('l'), code(C::Right)], Action::Right, "expand"),
    b(
        M,
        &[code(C::Enter)],
        Action::Toggle,
        "toggle; follow a reference; on data: the hex view",
    ),
    b(
        M,
        &[k('v')],
        Action::CycleView,
        "properties: next view of the value (le32, EDID…)",
    ),
    b(
        M,
        &[code(C::Backspace), k('\'')],
        Action::GoBack,
        "back from a followed reference",
    ),
    b(M, &[k('g'), code(C::Home)], Action::Top, "first row"),
    b(M, &[k('G'), code(C::End)], Action::Bottom, "last row"),
    b(M, &[code(C::PageUp), ctrl('u')], Action::PageUp, "page up"),
    b(
        M,
        &[code(C::PageDown), ctrl('d')],
        Action::PageDown,
        "page down",
    ),
    b(
        M,
        &[k('*')],
        Action::ExpandSubtree,
        "expand the whole subtree",
    ),
    b(M, &[k('z')], Action::CollapseAll, "collapse all"),
    b(
        M,
        &[k('a')],
        Action::NextAppearance,
        "next appearance of an entry with several parents",
    ),
    b(M, &[code(C::Tab)], Action::FocusNext, "next pane"),
    b(M, &[shift(C::Tab)], Action::FocusPrev, "previous pane"),
    b(M, &[k('p')], Action::PlanePicker, "pick a plane"),
    b(
        M,
        &[k('/')],
        Action::SearchStart,
        "search; in the properties pane: filter its rows",
    ),
    b(M, &[k('n')], Action::NextMatch, "next match"),
    b(M, &[k('N')], Action::PrevMatch, "previous match"),
    b(
        M,
        &[k('f')],
        Action::ToggleFilter,
        "filter: only matches and their ancestors",
    ),
    b(
        M,
        &[k(':')],
        Action::JumpStart,
        "jump to a registry ID (hex/dec) or a path",
    ),
    b(
        M,
        &[k('y')],
        Action::Copy,
        "copy the path (or the selected property value)",
    ),
    b(M, &[k('r')], Action::Refresh, "refresh the source"),
    b(
        M,
        &[k('x')],
        Action::Export,
        "export the subtree (or plane) to a file",
    ),
    b(
        M,
        &[k('s')],
        Action::SortProps,
        "properties: key order / file order",
    ),
    b(
        M,
        &[k('Z')],
        Action::Zoom,
        "zoom the focused pane to the full screen and back",
    ),
    b(
        M,
        &[k('+')],
        Action::Retain,
        "lab: IOObjectRetain the handle",
    ),
    b(
        M,
        &[k('-')],
        Action::Release,
        "lab: IOObjectRelease the handle",
    ),
    b(M, &[k('o')], Action::Obtain, "lab: obtain the entry again"),
    b(M, &[k('H')], Action::HandleTable, "handle table"),
    b(
        M,
        &[k('c')],
        Action::Classes,
        "classes table: instances, kernel count, delta",
    ),
    b(
        M,
        &[k('u')],
        Action::Clients,
        "user clients per process (growth since the baseline)",
    ),
    b(
        M,
        &[k('P')],
        Action::Ports,
        "ports of a process (PID, name): IOKit names by class",
    ),
    b(
        M,
        &[k('b')],
        Action::Baseline,
        "mark this state as the baseline to compare with",
    ),
    b(
        M,
        &[k('d')],
        Action::ChangesFilter,
        "diff: only the changes since the baseline",
    ),
    b(M, &[k(']')], Action::NextChange, "diff: next change"),
    b(M, &[k('[')], Action::PrevChange, "diff: previous change"),
    b(
        M,
        &[k('t')],
        Action::Timeline,
        "a recording's timeline: step, scrub, play",
    ),
    b(
        M,
        &[k('U')],
        Action::TogglePlug,
        "demo: unplug / replug the device",
    ),
    b(
        M,
        &[k('e')],
        Action::ExplainStart,
        "explain a kern_return_t / IOReturn code",
    ),
    b(M, &[k('?')], Action::Help, "this help"),
    b(
        M,
        &[k('i')],
        Action::LoadReport,
        "load report: format, clipped/truncated lines, warnings",
    ),
    b(M, &[ctrl('z')], Action::Suspend, "suspend (resume with fg)"),
    b(M, &[k('q')], Action::Quit, "quit"),
    b(
        M,
        &[code(C::Esc)],
        Action::Back,
        "back out of the filter or search (never quits; q does)",
    ),
    b(P, &[code(C::Enter)], Action::Accept, "accept"),
    b(P, &[code(C::Esc)], Action::Back, "cancel"),
    b(P, &[code(C::Up)], Action::Up, "recall the last search"),
    b(
        P,
        &[code(C::Backspace)],
        Action::Backspace,
        "delete a character",
    ),
    b(L, &[k('j'), code(C::Down)], Action::Down, "move down"),
    b(L, &[k('k'), code(C::Up)], Action::Up, "move up"),
    b(L, &[k('g'), code(C::Home)], Action::Top, "first row"),
    b(L, &[k('G'), code(C::End)], Action::Bottom, "last row"),
    b(L, &[code(C::PageUp), ctrl('u')], Action::PageUp, "page up"),
    b(
        L,
        &[code(C::PageDown), ctrl('d')],
        Action::PageDown,
        "page down",
    ),
    b(
        L,
        &[k('s')],
        Action::SortNext,
        "sort by the next column (handle and classes tables)",
    ),
    b(
        L,
        &[code(C::Enter)],
        Action::Accept,
        "choose / jump to the entry",
    ),
    b(L, &[code(C::Esc), k('q')], Action::Back, "close"),
    b(L, &[k('P')], Action::Ports, "ports view: another process"),
    b(
        L,
        &[k('h'), code(C::Left)],
        Action::Left,
        "timeline: the moment before",
    ),
    b(
        L,
        &[k('l'), code(C::Right)],
        Action::Right,
        "timeline: the moment after",
    ),
    b(L, &[k(' ')], Action::PlayPause, "timeline: play / pause"),
    b(L, &[k('+')], Action::Faster, "timeline: play faster"),
    b(L, &[k('-')], Action::Slower, "timeline: play slower"),
    b(
        L,
        &[k('b')],
        Action::Baseline,
        "timeline: this moment becomes the baseline",
    ),
    b(H, &[k('j'), code(C::Down)], Action::Down, "scroll down"),
    b(H, &[k('k'), code(C::Up)], Action::Up, "scroll up"),
    b(H, &[code(C::PageUp), ctrl('u')], Action::PageUp, "page up"),
    b(
        H,
        &[code(C::PageDown), ctrl('d')],
        Action::PageDown,
        "page down",
    ),
    b(
        H,
        &[code(C::Esc), k('q'), k('?'), k('i')],
        Action::Back,
        "close",
    ),
];

/// Crossterm reports shifted letters with SHIFT set on some terminals and not others;
/// the character already carries the case, so SHIFT is ignored for characters.
/// Shift-Tab arrives as BackTab, with or without SHIFT: it is written `Shift-Tab` here.
fn normalize(key: KeyEvent) -> Key {
    let mut mods =
        key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    if matches!(key.code, KeyCode::Char(_)) {
        mods.remove(KeyModifiers::SHIFT);
    }
    let code = match key.code {
        KeyCode::BackTab => {
            mods.insert(KeyModifiers::SHIFT);
            KeyCode::Tab
        }
        c => c,
    };
    Key { code, mods }
}

/// The action bound to `key` in `context`. In a prompt, unbound printable characters are typed.
pub(crate) fn lookup(context: Context, key: KeyEvent) -> Option<Action> {
    let key = normalize(key);
    let bound = KEYMAP
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action);
    if bound.is_some() {
        return bound;
    }
    match (context, key.code) {
        (Context::Prompt, KeyCode::Char(c)) if !key.mods.contains(KeyModifiers::CONTROL) => {
            Some(Action::Input(c))
        }
        _ => None,
    }
}

/// A key as the help screen writes it: `j`, `↓`, `Ctrl-u`, `PgDn`, `Enter`.
pub fn key_label(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Backspace => "Backspace".into(),
        other => format!("{other:?}"),
    };
    if key.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else if key.mods.contains(KeyModifiers::SHIFT) {
        format!("Shift-{base}")
    } else {
        base
    }
}

/// The keys bound to `action` in `context`, joined for a hint (`j/↓`).
pub(crate) fn keys_for(context: Context, action: Action) -> String {
    KEYMAP
        .iter()
        .filter(|b| b.context == context && b.action == action)
        .flat_map(|b| b.keys.iter().map(key_label))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_dispatch_through_the_table() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            lookup(Context::Main, press(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(
            lookup(Context::Main, press(KeyCode::Down, none)),
            Some(Action::Down)
        );
        assert_eq!(
            lookup(
                Context::Main,
                press(KeyCode::Char('d'), KeyModifiers::CONTROL)
            ),
            Some(Action::PageDown)
        );
        assert_eq!(
            lookup(
                Context::Main,
                press(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            lookup(Context::Prompt, press(KeyCode::Char('j'), none)),
            Some(Action::Input('j'))
        );
        assert_eq!(
            lookup(Context::Main, press(KeyCode::Char('x'), none)),
            Some(Action::Export)
        );
        assert_eq!(lookup(Context::Main, press(KeyCode::Char('X'), none)), None);
        for key in [KeyCode::Backspace, KeyCode::Char('\'')] {
            assert_eq!(
                lookup(Context::Main, press(key, none)),
                Some(Action::GoBack)
            );
        }
        assert_eq!(
            lookup(Context::Main, press(KeyCode::Char('v'), none)),
            Some(Action::CycleView)
        );
        // Terminals send Shift-Tab as BackTab, some with SHIFT set and some without.
        for mods in [none, KeyModifiers::SHIFT] {
            assert_eq!(
                lookup(Context::Main, press(KeyCode::BackTab, mods)),
                Some(Action::FocusPrev)
            );
        }
        assert_eq!(
            lookup(Context::Main, press(KeyCode::Tab, none)),
            Some(Action::FocusNext)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                if a.context == b.context {
                    for key in a.keys {
                        assert!(
                            !b.keys.contains(key),
                            "{key:?} bound twice in {:?}",
                            a.context
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn hints_come_from_the_table() {
        assert_eq!(keys_for(Context::Main, Action::Down), "j/↓");
        assert_eq!(keys_for(Context::Main, Action::PageDown), "PgDn/Ctrl-d");
    }
}
