//! The `?` screen, generated from the keymap table that dispatches keys.

use super::theme::Theme;
use crate::app::keymap::{Context, KEYMAP, key_label};
use ratatui::text::{Line, Span};

/// Every binding, grouped by context, as help lines.
pub(crate) fn lines(theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for context in [Context::Main, Context::Prompt, Context::List, Context::Help] {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(context.title(), theme.title_focused));
        for binding in KEYMAP.iter().filter(|b| b.context == context) {
            let keys = binding
                .keys
                .iter()
                .map(key_label)
                .collect::<Vec<_>>()
                .join(" ");
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), theme.key),
                Span::raw(binding.help),
            ]));
        }
        if context == Context::Prompt {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<18}", "other keys"), theme.key),
                Span::raw("typed into the prompt"),
            ]));
            out.push(Line::from(vec![
                Span::styled(format!("  {:<18}", "search terms"), theme.key),
                Span::raw("class: name: key: value: id: and \"…\" for a whole field"),
            ]));
        }
    }
    out.push(Line::default());
    out.push(Line::styled("Mouse", theme.title_focused));
    out.push(Line::raw(
        "  click selects, click on ▸/▾ toggles, wheel scrolls",
    ));
    out
}
