//! `ioscope record`: samples the live registry (the demo off macOS) into a recording
//! (`formats::recording`) until Ctrl-C or `--duration`.

use super::output::Target;
use anyhow::Result;
use ioscope::formats::recording::{Header, Recorder, VERSION};
use ioscope::kernel::session::LiveSession;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `ioscope record` options.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Where to write the recording (atomically, when it ends), e.g. `-o session.ioscope`.
    #[arg(short = 'o', value_name = "OUT", required = true)]
    pub out: PathBuf,
    /// Time between samples, e.g. `1s`, `500ms`.
    #[arg(long, value_name = "TIME", default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// Stop after this long, e.g. `10m` (default: until Ctrl-C).
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Record the simulated Mac (the demo), on any OS.
    #[arg(long)]
    pub demo: bool,
    /// Demo only: unplug and replug a USB device every 4 s while recording.
    #[arg(long)]
    pub demo_hotplug: bool,
    /// Replace OUT even when it is a file being read elsewhere in the command line.
    #[arg(long)]
    pub force: bool,
}

pub fn record_command(args: &RecordArgs) -> Result<ExitCode> {
    if args.interval.is_zero() {
        anyhow::bail!("--interval must be more than 0");
    }
    let target = Target::check(&args.out, None::<&Path>, args.force)?;
    let stop = super::stop_flag()?;
    let mut session: Box<dyn LiveSession> = if args.demo || args.demo_hotplug {
        Box::new(ioscope::kernel::sim::demo_session())
    } else {
        ioscope::kernel::default_session()
    };
    let start_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let header = Header {
        version: VERSION,
        source: session.label().to_owned(),
        start_unix_ms,
        interval_ms: args.interval.as_millis() as u64,
    };
    let mut frames = 0;
    let mut failure: Option<String> = None;
    target.write(|out| {
        let mut rec = Recorder::new(out, &header)?;
        let start = Instant::now();
        let mut next_plug = Duration::from_secs(4);
        loop {
            let t = start.elapsed();
            match session.walk(&mut |_| {}) {
                Ok(registry) => {
                    rec.sample(t.as_millis() as u64, &registry)?;
                }
                Err(code) => {
                    failure = Some(format!("walking the registry failed: {code}"));
                    break;
                }
            }
            if args.duration.is_some_and(|d| start.elapsed() >= d) {
                break;
            }
            // Sleep until the next sample, waking for Ctrl-C.
            let due = t + args.interval;
            while start.elapsed() < due && !stop.load(Ordering::Relaxed) {
                if args.demo_hotplug && start.elapsed() >= next_plug {
                    if let Some(demo) = session.demo() {
                        let _ = demo.demo_hotplug();
                    }
                    next_plug += Duration::from_secs(4);
                }
                std::thread::sleep(Duration::from_millis(20).min(due - start.elapsed().min(due)));
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        frames = rec.frames();
        rec.finish().map(|_| ())
    })?;
    if let Some(f) = failure {
        anyhow::bail!(
            "{f} (the {frames} samples before it are in {})",
            args.out.display()
        );
    }
    super::warn(&format!(
        "recorded {frames} samples to {}",
        args.out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
