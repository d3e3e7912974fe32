//! Owning the terminal: raw mode and the alternate screen on the way in, and always
//! the way back out — on quit, on error (drop), on panic (hook), on SIGTERM/SIGHUP
//! (turned into a quit, or, when the UI is busy in a long walk, ended by a watchdog) and
//! around Ctrl-z.

use super::theme::Theme;
use crate::app::keymap::{self, Context};
use crate::app::state::Mode;
use crate::app::{Action, App, Effect};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, IsTerminal, Stdout, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

/// Puts the terminal back as we found it. Safe to call more than once.
pub(crate) fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

fn enter() -> io::Result<()> {
    #[cfg(unix)]
    sigbus::save();
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        cursor::Hide
    )
}

/// Restores the terminal when dropped, so every early return and error path leaves it sane.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal before the default panic message is printed.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// How long the event loop has to notice SIGTERM/SIGHUP and quit through the normal path
/// before the watchdog ends the process itself.
const SIGNAL_GRACE: Duration = Duration::from_millis(500);

/// SIGTERM and SIGHUP set a flag the loop checks, so we quit through the normal path; they
/// also cancel background walks. The loop only sees the flag between actions, and one
/// action can take long (expanding a huge or pathological tree, a search over millions of
/// entries): a watchdog thread then gives the terminal back and ends the process after
/// [`SIGNAL_GRACE`], so the explorer always answers these signals. The returned `done` flag
/// tells the watchdog that the loop has finished.
fn quit_signals() -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGTERM};
        match signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]) {
            Ok(mut signals) => {
                let _ = watch_signals(
                    move || signals.forever().next(),
                    Arc::clone(&stop),
                    Arc::clone(&done),
                    SIGNAL_GRACE,
                    crate::kernel::walker::cancel_walks,
                    end_stuck,
                );
            }
            Err(_) => {
                for sig in [SIGTERM, SIGHUP] {
                    let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
                }
            }
        }
    }
    (stop, done)
}

/// The watchdog: waits for a signal (`next_signal`), asks the loop to stop and calls
/// `cancel` (which stops background walks), and if the loop has not finished (`done`)
/// within `grace`, calls `stuck` with the signal number.
fn watch_signals(
    mut next_signal: impl FnMut() -> Option<i32> + Send + 'static,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    grace: Duration,
    cancel: impl FnOnce() + Send + 'static,
    stuck: impl FnOnce(i32) + Send + 'static,
) -> io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ioscope-signals".into())
        .spawn(move || {
            let Some(sig) = next_signal() else { return };
            stop.store(true, Ordering::Relaxed);
            cancel();
            let start = std::time::Instant::now();
            while start.elapsed() < grace {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if !done.load(Ordering::Relaxed) {
                stuck(sig);
            }
        })
}

/// The loop is busy and cannot quit: give the terminal back and end with the signal's
/// conventional status (128 + signal).
fn end_stuck(sig: i32) {
    restore();
    let name = match sig {
        1 => "SIGHUP",
        15 => "SIGTERM",
        _ => "a signal",
    };
    let _ = writeln!(
        io::stderr(),
        "ioscope: {name} while busy: stopped without finishing the current operation"
    );
    std::process::exit(128 + sig);
}

/// What wakes the event loop: terminal input, or a background load that is done.
enum Wake {
    Input(io::Result<Event>),
    Loaded,
}

/// The event loop's wake-ups: created before the [`App`], so that its loader can wake the
/// loop the moment a registry is ready (rather than at the next 50 ms tick).
pub(crate) struct Wakeups {
    tx: mpsc::Sender<Wake>,
    rx: Receiver<Wake>,
}

impl Wakeups {
    pub(crate) fn new() -> Self {
        let (tx, rx) = mpsc::channel();
        Wakeups { tx, rx }
    }

    /// For [`App::start`]: wakes the loop when a load is done.
    pub(crate) fn waker(&self) -> crate::app::loader::Waker {
        let tx = self.tx.clone();
        Arc::new(move || {
            let _ = tx.send(Wake::Loaded);
        })
    }
}

impl Default for Wakeups {
    fn default() -> Self {
        Self::new()
    }
}

/// A dump of 8 MB or more is memory-mapped while it is read (`formats::load_file`). If the
/// file is truncated meanwhile, touching its lost pages raises SIGBUS, which would kill the
/// process with the terminal still raw and on the alternate screen. This gives the terminal
/// back and says why, then dies of the signal as before (same exit status).
fn restore_on_sigbus() {
    #[cfg(unix)]
    {
        use signal_hook::consts::SIGBUS;
        // SAFETY: the action runs in a signal handler and does only what is async-signal-safe:
        // write(2), tcsetattr(3) with the attributes saved before raw mode, and signal-hook's
        // default-action emulation. No lock is taken: the signal may land on the thread that
        // holds stdout's lock (a `kill -BUS` does; a fault on a mapped page lands on the loader).
        let _ = unsafe {
            signal_hook::low_level::register(SIGBUS, || {
                sigbus::restore();
                sigbus::write_all(
                    libc::STDERR_FILENO,
                    b"ioscope: bus error (SIGBUS): was the dump truncated while it was being read?\n",
                );
                let _ = signal_hook::low_level::emulate_default_handler(SIGBUS);
            })
        };
    }
}

/// The terminal restore a signal handler may run: raw bytes and the saved attributes.
#[cfg(unix)]
mod sigbus {
    use std::sync::OnceLock;

    /// The terminal's attributes before raw mode (saved by [`save`]).
    static SAVED: OnceLock<libc::termios> = OnceLock::new();

    /// Mouse capture off, main screen, cursor shown: what `restore` sends through crossterm.
    const RESTORE: &[u8] =
        b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

    /// Saves the terminal's attributes (call before raw mode).
    pub(super) fn save() {
        // SAFETY: tcgetattr writes a termios it is given; zeroed is a valid termios.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } == 0 {
            let _ = SAVED.set(t);
        }
    }

    /// Async-signal-safe: writes [`RESTORE`] and puts the saved attributes back.
    pub(super) fn restore() {
        write_all(libc::STDOUT_FILENO, RESTORE);
        if let Some(t) = SAVED.get() {
            // SAFETY: tcsetattr is async-signal-safe; `t` came from tcgetattr.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
        }
    }

    /// write(2) until done or failed (async-signal-safe; no std lock).
    pub(super) fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // SAFETY: the pointer and length describe `bytes`.
            let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
            if n <= 0 {
                return;
            }
            bytes = &bytes[n as usize..];
        }
    }
}

/// Runs the explorer until the user quits; the terminal is restored on every path.
pub(crate) fn run(mut app: App, theme: Theme, wakeups: Wakeups) -> Result<ExitCode, super::Error> {
    install_panic_hook();
    restore_on_sigbus();
    let (stop, done) = quit_signals();
    enter()?;
    let _guard = Guard;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    full_redraw(&mut terminal)?;
    let result = event_loop(&mut app, &mut terminal, &theme, &stop, wakeups);
    done.store(true, Ordering::Relaxed);
    drop(_guard);
    result?;
    if let Some(err) = app.fatal.take() {
        return Err(err.into());
    }
    Ok(ExitCode::SUCCESS)
}

fn context(mode: &Mode) -> Context {
    match mode {
        Mode::Normal => Context::Main,
        Mode::Prompt { .. } => Context::Prompt,
        Mode::Help { .. } | Mode::Report { .. } => Context::Help,
        Mode::Planes { .. }
        | Mode::Handles { .. }
        | Mode::Explained { .. }
        | Mode::Hex { .. }
        | Mode::Classes { .. }
        | Mode::Clients { .. }
        | Mode::Ports { .. }
        | Mode::Timeline => Context::List,
    }
}

/// Turns a terminal event into an action (keys through the keymap table).
pub(crate) fn action_for(mode: &Mode, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => keymap::lookup(context(mode), *key),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                x: m.column,
                y: m.row,
            }),
            MouseEventKind::ScrollDown => Some(Action::Wheel {
                x: m.column,
                y: m.row,
                down: true,
            }),
            MouseEventKind::ScrollUp => Some(Action::Wheel {
                x: m.column,
                y: m.row,
                down: false,
            }),
            _ => None,
        },
        Event::Paste(text) if matches!(mode, Mode::Prompt { .. }) => {
            text.chars().next().map(Action::Input)
        }
        _ => None,
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Reads terminal events on a thread of its own.
///
/// Once the terminal hangs up (window closed, ssh dropped, tmux session killed),
/// crossterm's reader loops forever inside `poll`/`read` (its tty read keeps failing
/// with an error other than "would block"): on the UI thread that would never return
/// to notice SIGHUP, and the process would be left spinning a core with no terminal.
/// Here it can only stall this thread; the loop quits and the process exits with it.
fn spawn_reader(tx: mpsc::Sender<Wake>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("ioscope-input".into())
        .spawn(move || {
            loop {
                let event = event::read();
                let failed = event.is_err();
                if tx.send(Wake::Input(event)).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Whether the terminal went away: after a hang-up the tty answers no terminal ioctl,
/// so this notices a lost terminal even when no SIGHUP came (it was ignored, or sent
/// to another process group).
fn hung_up() -> bool {
    !io::stdout().is_terminal()
}

fn event_loop(
    app: &mut App,
    terminal: &mut Term,
    theme: &Theme,
    stop: &AtomicBool,
    wakeups: Wakeups,
) -> Result<(), super::Error> {
    let Wakeups { tx, rx: events } = wakeups;
    spawn_reader(tx)?;
    let mut dirty = true;
    loop {
        if stop.load(Ordering::Relaxed) || app.fatal.is_some() || hung_up() {
            return Ok(());
        }
        dirty |= app.poll();
        if dirty {
            terminal.draw(|frame| {
                let geometry = super::draw(frame, &app.state, theme);
                app.state.geometry = geometry;
            })?;
            app.state.clamp();
            dirty = false;
        }
        let wait = if app.is_loading() {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(200)
        };
        let mut next = match events.recv_timeout(wait) {
            Ok(Wake::Input(ev)) => Some(ev?),
            Ok(Wake::Loaded) | Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        // Drain what is queued so that held keys do not lag behind.
        while let Some(ev) = next.take() {
            dirty = true;
            if let Some(action) = action_for(&app.state.mode, &ev) {
                for effect in app.dispatch(action) {
                    match effect {
                        Effect::Quit => return Ok(()),
                        Effect::Suspend => suspend(terminal)?,
                        Effect::Copy(text) => {
                            let preview = crate::app::update::preview(&text);
                            app.state.message = Some(super::clipboard::copy(&text, &preview));
                        }
                        _ => {}
                    }
                }
            }
            next = match events.try_recv() {
                Ok(Wake::Input(ev)) => Some(ev?),
                Ok(Wake::Loaded) | Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
            };
        }
    }
}

/// Ctrl-z: give the terminal back, stop, and take it again on `fg`.
fn suspend(terminal: &mut Term) -> Result<(), super::Error> {
    restore();
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
    enter()?;
    full_redraw(terminal)?;
    Ok(())
}

/// Clears the screen and forgets the last frame, so the next one is drawn whole.
/// (`Terminal::clear` would ask the terminal for the cursor position, which some
/// terminals and emulators never answer.)
fn full_redraw(terminal: &mut Term) -> io::Result<()> {
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn watchdog(done_after: Option<Duration>) -> (Arc<AtomicBool>, Option<i32>) {
        let (stop, done) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (tx, rx) = channel();
        let mut once = Some(15);
        let handle = watch_signals(
            move || once.take(),
            Arc::clone(&stop),
            Arc::clone(&done),
            Duration::from_millis(200),
            || {},
            move |sig| {
                let _ = tx.send(sig);
            },
        )
        .unwrap();
        if let Some(after) = done_after {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(after);
            done.store(true, Ordering::Relaxed);
        }
        handle.join().unwrap();
        (stop, rx.try_recv().ok())
    }

    #[test]
    fn a_busy_loop_is_ended_by_the_watchdog_after_the_grace() {
        let (stop, stuck) = watchdog(None);
        assert!(stop.load(Ordering::Relaxed), "the loop was asked to stop");
        assert_eq!(stuck, Some(15), "then ended with the signal's number");
    }

    #[test]
    fn a_loop_that_quits_in_time_is_left_to_quit() {
        let (stop, stuck) = watchdog(Some(Duration::from_millis(10)));
        assert!(stop.load(Ordering::Relaxed));
        assert_eq!(stuck, None);
    }
}
