//! A recording's timeline (`t`): its moments, the one on screen, and playback. The state is
//! here; [`super::App`] holds the recording and loads the registry of the chosen moment
//! ([`Recording::at`](crate::formats::recording::Recording::at)).

use super::action::Action;
use super::cursor::step;
use super::state::{Mode, State};
use super::update::Effect;
use crate::formats::recording::Moment;

/// Moments PgUp/PgDn move by.
const PAGE: usize = 10;

/// Playback speeds, in times real time.
pub const SPEEDS: &[u32] = &[1, 2, 4, 8, 16, 32];

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub moments: Vec<Moment>,
    /// The moment on screen.
    pub index: usize,
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
}

impl Timeline {
    pub(crate) fn new(moments: Vec<Moment>) -> Self {
        let index = moments.len().saturating_sub(1);
        Timeline {
            moments,
            index,
            playing: false,
            speed: 0,
        }
    }

    pub(crate) fn t_ms(&self) -> u64 {
        self.moments.get(self.index).map_or(0, |m| m.t_ms)
    }

    pub(crate) fn duration_ms(&self) -> u64 {
        self.moments.last().map_or(0, |m| m.t_ms)
    }

    pub(crate) fn speed(&self) -> u32 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    /// How long the current moment stays on screen while playing.
    pub(crate) fn dwell_ms(&self) -> u64 {
        let next = self.moments.get(self.index + 1).map_or(0, |m| m.t_ms);
        next.saturating_sub(self.t_ms()).max(50) / u64::from(self.speed())
    }
}

/// Keys while the timeline is open. Moving to another moment asks the app to load it.
pub(crate) fn keys(s: &mut State, action: Action) -> Vec<Effect> {
    let Some(t) = s.timeline.as_mut() else {
        s.mode = Mode::Normal;
        return Vec::new();
    };
    let n = t.moments.len();
    let before = t.index;
    match action {
        Action::Back | Action::Quit | Action::Accept => {
            t.playing = false;
            s.mode = Mode::Normal;
            return Vec::new();
        }
        // ←/→ step like ↑/↓; a page is ten moments.
        Action::Left | Action::Up => t.index = step(t.index, n, PAGE, Action::Up),
        Action::Right | Action::Down => t.index = step(t.index, n, PAGE, Action::Down),
        Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
            t.index = step(t.index, n, PAGE, action)
        }
        Action::PlayPause => {
            if !t.playing && t.index + 1 >= n {
                t.index = 0;
            }
            t.playing = !t.playing;
        }
        Action::Faster => t.speed = (t.speed + 1).min(SPEEDS.len() - 1),
        Action::Slower => t.speed = t.speed.saturating_sub(1),
        Action::Baseline => {
            let label = format!("moment {:.1} s", t.t_ms() as f64 / 1000.0);
            super::leak::mark_baseline(s, label);
            return Vec::new();
        }
        _ => {}
    }
    if !matches!(action, Action::PlayPause | Action::Faster | Action::Slower) {
        t.playing = false;
    }
    if t.index != before {
        return vec![Effect::Seek(t.t_ms())];
    }
    Vec::new()
}
