//! `ioscope ports`: which IOKit objects a process holds send rights for, by kernel object
//! type and class, and how that grows (the census itself is
//! [`ioscope::kernel::ports::census`]).

use super::print_bytes;
use anyhow::{Context, Result, bail};
use ioscope::census::clients;
use ioscope::kernel::KernelSession;
use ioscope::kernel::ports::census::{self, Access, ClassRow, Growth, PortCensus, Target, growth};
use ioscope::kernel::ports::{Pid, PortSpaces, lsmp};
use ioscope::kernel::session::LiveSession;
use ioscope::kernel::sim::SimKernel;
use ioscope::registry::escape::for_terminal;
use ioscope::registry::{Origin, Registry};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct PortsArgs {
    /// The process: a PID, a process name, or `self` (ioscope's own task). Without it, the
    /// processes ioscope can see are listed.
    #[arg(value_name = "PID|NAME")]
    pub target: Option<String>,
    /// List each IOKit name: class, registry ID, rights, user references, the entry's path.
    #[arg(long)]
    pub entries: bool,
    /// Sample again every TIME (`1s`, `500ms`) and print what grew per class since the
    /// first sample, until Ctrl-C.
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_duration)]
    pub interval: Option<Duration>,
    /// With --interval: stop after N samples.
    #[arg(long, value_name = "N", requires = "interval")]
    pub count: Option<u64>,
    /// Read the JSON Apple's `lsmp -p PID -j FILE` wrote instead of asking the kernel.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, conflicts_with_all = ["interval", "demo_leak"])]
    pub lsmp: Option<PathBuf>,
    /// The simulated Mac with its leaking app (LeakyApp, the default process): every sample
    /// it opens one more user client and looks a service up 8192 more times.
    #[arg(long)]
    pub demo_leak: bool,
    /// Output format (JSON: one object, or one object per line with --interval).
    #[arg(long, value_enum, default_value_t = super::census::ReportFormat::Text)]
    pub format: super::census::ReportFormat,
}

type Format = super::census::ReportFormat;

/// What changed since the first sample (every sample after it, with --interval).
struct Delta {
    elapsed: Duration,
    classes: Vec<Growth>,
    /// Change of the port table's names in use (`mach_port_space_basic_info`), when readable.
    table_inuse: Option<i64>,
}

/// Where the census reads from: the kernel's port spaces and a registry walked from the
/// same kernel (for paths).
struct Backend {
    spaces: Arc<dyn PortSpaces>,
    session: Box<dyn LiveSession>,
    sim: Option<Arc<SimKernel>>,
}

impl Backend {
    fn open(demo_leak: bool) -> Backend {
        #[cfg(target_os = "macos")]
        if !demo_leak {
            return Backend {
                spaces: Arc::new(ioscope::kernel::macos::MacPortSpaces),
                session: ioscope::kernel::macos::walk_session(),
                sim: None,
            };
        }
        let sim = Arc::new(SimKernel::new());
        if demo_leak {
            sim.spawn_leaker(3);
        }
        Backend {
            spaces: sim.clone(),
            session: Box::new(KernelSession::new(sim.clone(), Origin::Demo)),
            sim: Some(sim),
        }
    }

    fn walk(&mut self) -> Result<Registry> {
        self.session
            .walk(&mut |_| {})
            .map_err(|code| anyhow::anyhow!("walking the registry failed: {code}"))
    }
}

pub fn ports_command(args: &PortsArgs) -> Result<ExitCode> {
    if let Some(path) = &args.lsmp {
        return lsmp_command(args, path);
    }
    if args.interval.is_some_and(|d| d.is_zero()) {
        bail!("--interval must be more than 0");
    }
    let mut backend = Backend::open(args.demo_leak);
    let target = match (&args.target, args.demo_leak) {
        (Some(t), _) => Some(t.clone()),
        (None, true) => Some(ioscope::kernel::sim::leaky::LEAKER_PID.to_string()),
        (None, false) => None,
    };
    let Some(target) = target else {
        if backend.sim.is_some() {
            // The demo's own task then holds the handles of a walk, as the explorer's does.
            backend.walk()?;
        }
        return list_processes(&*backend.spaces, args.format);
    };
    let (target, process) = resolve(&*backend.spaces, &target)?;
    let mut registry = backend.walk()?;
    let first = PortCensus::take(&*backend.spaces, target, &process, None);
    if first.no_process {
        // Nothing to count: one line and a failure, never a table for a process that is not there.
        anyhow::bail!(
            "{}",
            first
                .refusal
                .as_deref()
                .unwrap_or("no process has that PID")
        );
    }
    if let Some(why) = &first.refusal {
        super::warn(why);
    }
    let first_classes = first.classes();
    let first_space = first.space;
    print_sample(&first, &registry, args, None)?;
    let Some(interval) = args.interval else {
        return Ok(ExitCode::SUCCESS);
    };
    let stop = super::stop_flag()?;
    let start = Instant::now();
    let mut last = first;
    let mut samples = 1;
    loop {
        if args.count.is_some_and(|n| samples >= n) {
            break;
        }
        let due = interval * samples as u32;
        while start.elapsed() < due && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20).min(due - start.elapsed().min(due)));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(sim) = &backend.sim
            && args.demo_leak
        {
            let _ = sim.leak_step();
        }
        if args.entries {
            registry = backend.walk()?;
        }
        let now = PortCensus::take(&*backend.spaces, target, &process, Some(&last));
        let delta = Delta {
            elapsed: start.elapsed(),
            classes: growth(&first_classes, &now.classes()),
            table_inuse: now
                .space
                .zip(first_space)
                .map(|(a, b)| i64::from(a.table_inuse) - i64::from(b.table_inuse)),
        };
        print_sample(&now, &registry, args, Some(&delta))?;
        last = now;
        samples += 1;
    }
    Ok(ExitCode::SUCCESS)
}

/// PID, `self`, or a process name only one process has (the explorer's `P` resolves alike).
fn resolve(spaces: &dyn PortSpaces, target: &str) -> Result<(Target, String)> {
    Ok(census::resolve(spaces, target)?)
}

#[derive(serde::Serialize)]
struct ListRow {
    pid: Pid,
    name: String,
    iokit_names: Option<usize>,
}

fn list_processes(spaces: &dyn PortSpaces, format: Format) -> Result<ExitCode> {
    let rows: Vec<ListRow> = spaces
        .list_processes()
        .into_iter()
        .map(|p| {
            let target = if p.pid == spaces.own_pid() {
                Target::SelfTask
            } else {
                Target::Pid(p.pid)
            };
            let c = PortCensus::take(spaces, target, &p.name, None);
            ListRow {
                pid: p.pid,
                iokit_names: matches!(c.access, Access::Read | Access::SelfTask)
                    .then(|| c.iokit_names()),
                name: p.name,
            }
        })
        .collect();
    print_list(&rows, format)
}

fn print_list(rows: &[ListRow], format: Format) -> Result<ExitCode> {
    let out = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rows)?;
            s.push('\n');
            ioscope::registry::escape::json_controls(&s).into_owned()
        }
        Format::Text => {
            let mut s = format!("{:>7}  {:<28} {:>11}\n", "PID", "NAME", "IOKIT NAMES");
            for r in rows {
                let n = r
                    .iokit_names
                    .map_or_else(|| "-".to_owned(), |n| n.to_string());
                s.push_str(&format!(
                    "{:>7}  {:<28} {:>11}\n",
                    r.pid,
                    for_terminal(&r.name),
                    n
                ));
            }
            let refused = rows.iter().filter(|r| r.iokit_names.is_none()).count();
            if refused > 0 {
                s.push_str(&format!(
                    "({refused} refused a read task port: `-`; run as root to see more, SIP-protected processes stay out of reach)\n"
                ));
            }
            s
        }
    };
    print_bytes(out.as_bytes()).context("stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn print_sample(
    c: &PortCensus,
    registry: &Registry,
    args: &PortsArgs,
    delta: Option<&Delta>,
) -> Result<()> {
    let registry = (c.access != Access::Lsmp || !registry.is_empty()).then_some(registry);
    let out = match args.format {
        Format::Json => {
            let mut json = c.to_json(registry, args.entries);
            if let Some(d) = delta {
                json.growth = Some(d.classes.clone());
            }
            json.table_inuse_growth = delta.and_then(|d| d.table_inuse);
            if matches!(c.access, Access::Inspect | Access::None) {
                json.user_clients = registry
                    .and_then(|r| opened_clients(c, r))
                    .map(|p| serde_json::json!({"clients": p.clients, "classes": p.classes}));
            }
            let s = if args.interval.is_some() {
                serde_json::to_string(&json)?
            } else {
                serde_json::to_string_pretty(&json)?
            };
            format!("{}\n", ioscope::registry::escape::json_controls(&s))
        }
        Format::Text => text(c, registry, args.entries, delta),
    };
    print_bytes(out.as_bytes()).context("stdout")
}

fn text(
    c: &PortCensus,
    registry: Option<&Registry>,
    entries: bool,
    delta: Option<&Delta>,
) -> String {
    let mut s = String::new();
    if let Some(d) = delta {
        s.push_str(&format!(
            "+{:.2}s {} (pid {}): ",
            d.elapsed.as_secs_f64(),
            for_terminal(&c.process),
            c.pid,
        ));
        if matches!(c.access, Access::Inspect | Access::None) {
            match (c.space, d.table_inuse) {
                (Some(space), Some(n)) => s.push_str(&format!(
                    "port table {} names in use ({n:+} since the first sample)\n",
                    space.table_inuse
                )),
                _ => s.push_str("nothing readable\n"),
            }
            return s;
        }
        s.push_str(&format!("{} IOKit names", c.iokit_names()));
        if d.classes.is_empty() {
            s.push_str("; nothing grew since the first sample\n");
            return s;
        }
        s.push_str("; grew since the first sample:\n");
        let w = d
            .classes
            .iter()
            .map(|r| r.class.len())
            .max()
            .unwrap_or(5)
            .max(5);
        for r in &d.classes {
            s.push_str(&format!(
                "  {:<14} {:<w$} names {:+}  urefs {:+}  saturated {:+}  dead {:+}\n",
                r.type_name,
                for_terminal(&r.class),
                r.names,
                r.urefs,
                r.saturated,
                r.dead
            ));
        }
        return s;
    }
    let how = match c.access {
        Access::Read => "read task port",
        Access::SelfTask => "our own task",
        Access::Lsmp => "lsmp file",
        Access::Inspect => "inspect port only: table size, no names",
        Access::None => "no task port",
    };
    s.push_str(&format!(
        "{} (pid {}): {how}",
        for_terminal(&c.process),
        c.pid
    ));
    if let Some(total) = c.total_names {
        s.push_str(&format!(
            "; {total} names in its space, {} IOKit",
            c.iokit_names()
        ));
    }
    if let Some(space) = c.space {
        s.push_str(&format!(
            "; port table {} of {} slots in use",
            space.table_inuse, space.table_size
        ));
    }
    s.push('\n');
    if c.classless() {
        s.push_str("(this kernel is older than macOS 10.15.5: it gives the type of each IOKit name, not its class or entry)\n");
    }
    if c.vanished > 0 {
        s.push_str(&format!(
            "({} names were released while they were read)\n",
            c.vanished
        ));
    }
    if matches!(c.access, Access::Inspect | Access::None) {
        s.push_str(&fallback_clients(c, registry));
        return s;
    }
    s.push_str(&class_tables(&c.classes()));
    if entries {
        s.push_str(&entry_table(c, registry));
    }
    s
}

fn class_tables(rows: &[ClassRow]) -> String {
    let mut s = String::new();
    let w = rows.iter().map(|r| r.class.len()).max().unwrap_or(5).max(5);
    let mut ty = "";
    for r in rows {
        if r.type_name != ty {
            ty = &r.type_name;
            s.push_str(&format!(
                "\n{}\n  {:<w$}  {:>7}  {:>9}  {:>9}  {:>5}\n",
                r.type_name, "class", "names", "urefs", "saturated", "dead"
            ));
        }
        s.push_str(&format!(
            "  {:<w$}  {:>7}  {:>9}  {:>9}  {:>5}\n",
            for_terminal(&r.class),
            r.names,
            r.urefs,
            r.saturated,
            r.dead
        ));
    }
    if rows.is_empty() {
        s.push_str("no IOKit send rights\n");
    }
    s
}

fn entry_table(c: &PortCensus, registry: Option<&Registry>) -> String {
    let rows = c.entry_rows(registry);
    let w = rows.iter().map(|r| r.class.len()).max().unwrap_or(5).max(5);
    let mut s = format!(
        "\n  {:<10}  {:<13}  {:<w$}  {:<13}  {:<9}  {:>5}  path\n",
        "name", "type", "class", "id", "rights", "urefs"
    );
    for r in rows {
        s.push_str(&format!(
            "  {:<10}  {:<13}  {:<w$}  {:<13}  {:<9}  {:>5}  {}\n",
            r.name,
            r.type_name,
            for_terminal(&r.class),
            r.id.as_deref().unwrap_or("-"),
            r.rights.join(","),
            r.urefs,
            r.path.as_deref().map_or("-".into(), for_terminal)
        ));
    }
    s
}

/// The user clients a process opened (`IOUserClientCreator`): what needs no task port.
fn opened_clients(c: &PortCensus, registry: &Registry) -> Option<clients::ProcessClients> {
    clients::census(registry)
        .into_iter()
        .find(|p| i64::from(p.pid) == i64::from(c.pid))
}

fn fallback_clients(c: &PortCensus, registry: Option<&Registry>) -> String {
    let Some(registry) = registry else {
        return String::new();
    };
    match opened_clients(c, registry) {
        None => "no user clients in the registry name this process as creator\n".into(),
        Some(p) => {
            let mut s = format!(
                "{} user clients opened by this process (IOUserClientCreator):\n",
                p.clients
            );
            for (class, n) in &p.classes {
                s.push_str(&format!("  {:<32} {n:>6}\n", for_terminal(class)));
            }
            s
        }
    }
}

fn lsmp_command(args: &PortsArgs, path: &std::path::Path) -> Result<ExitCode> {
    let processes = lsmp::read_file(path)?;
    let chosen: Vec<&PortCensus> = match &args.target {
        // `lsmp -a -j`: every process; list them as `ioscope ports` does.
        None if processes.len() > 1 => {
            let rows: Vec<ListRow> = processes
                .iter()
                .map(|c| ListRow {
                    pid: c.pid,
                    name: c.process.clone(),
                    iokit_names: Some(c.iokit_names()),
                })
                .collect();
            return print_list(&rows, args.format);
        }
        None => processes.iter().collect(),
        Some(t) => match t.parse::<Pid>() {
            Ok(pid) => processes.iter().filter(|c| c.pid == pid).collect(),
            Err(_) => processes.iter().filter(|c| &c.process == t).collect(),
        },
    };
    if chosen.is_empty() {
        bail!(
            "{}: no process {} in this lsmp file",
            for_terminal(&path.display().to_string()),
            for_terminal(args.target.as_deref().unwrap_or(""))
        );
    }
    let registry = Registry::new();
    for c in chosen {
        print_sample(c, &registry, args, None)?;
    }
    Ok(ExitCode::SUCCESS)
}
