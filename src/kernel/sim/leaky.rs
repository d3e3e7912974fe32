//! The demo's one leaking app, `LeakyApp` (pid 501): what `ioscope --demo-leak` (the
//! explorer) and `ioscope ports --demo-leak` (the port census) both show, so that the
//! classes and clients views, the handle story and the census tell one story about one
//! process.
//!
//! Each step, at a steady rate, it leaks what real apps leak:
//! - it opens a user client on IOHIDSystem and never closes it: the client carries
//!   `IOUserClientCreator` = `"pid 501, LeakyApp"`, as `IOUserClient::setTask` sets it; the
//!   client's link retains IOHIDSystem, whose retain count climbs; the client's connect port
//!   is a new name in the app's port space (IOKIT-CONNECT, one name of one class per step);
//! - it looks IOHIDSystem up again `LEAK_LOOKUPS_PER_STEP` times without a release: copy-out
//!   coalesces onto the one name the app has for it, whose user references climb until they
//!   saturate at 65535 (`MACH_PORT_UREFS_MAX`);
//! - it forgets the `io_iterator_t` of an `IOServiceGetMatchingServices` call: an
//!   IOUserIterator the kernel keeps alive outside the registry, which only the kernel's
//!   class count (`IOKitDiagnostics` → `Classes`, what `ioclasscount` reads) shows.
//!
//! The app is a task of `super::tasks`, same user as ioscope and built with
//! `get-task-allow`, so a read task port for it is given without root.

use super::objects::{ObjId, SERVICE};
use super::ports::PortKind;
use super::tasks::OWN_UID;
use super::{SimKernel, State};
use crate::kernel::ports::Pid;
use crate::kernel::session::DemoError;
use crate::kernel::{PlugEvent, ServiceNotice};
use crate::registry::{Text, Value};

/// The leaking app's PID and name.
pub const LEAKER_PID: Pid = 501;
pub(crate) const LEAKER_NAME: &str = "LeakyApp";
/// The service it opens its clients on (and looks up again and again), and their class.
pub(crate) const LEAK_SERVICE: &str = "IOHIDSystem";
pub(crate) const LEAK_CLASS: &str = "IOHIDLibUserClient";
/// How many times each step looks the service up again without releasing it.
pub(crate) const LEAK_LOOKUPS_PER_STEP: u32 = 8192;
/// IOUserIterator objects alive before the app starts (other processes' iterators).
pub(crate) const ITERATORS_AT_BOOT: u64 = 17;

impl State {
    /// The leaking app's task, started on first use. Only this task is added (not the
    /// other processes the census boots), so a machine whose census never ran keeps every
    /// other port it had.
    fn leaker(&mut self) {
        self.ensure_task(LEAKER_PID, LEAKER_NAME, OWN_UID, true, false);
    }

    /// One step of the leaking app (see the module).
    fn leak_step(&mut self) -> Result<PlugEvent, DemoError> {
        let service = (0..self.objs.len() as u32)
            .map(ObjId)
            .find(|&o| {
                self.objs
                    .entry(o)
                    .is_some_and(|e| e.class == LEAK_SERVICE && e.planes[SERVICE].member)
            })
            .ok_or(DemoError::NoLeakyService)?;
        self.leaker();
        // The client's connect port (given to the app below) keeps it alive besides its link.
        let uc = self.objs.add_entry(LEAK_CLASS, LEAK_CLASS, 0);
        self.objs.e(uc).properties.extend([
            (
                Text::from("IOUserClientCreator"),
                Value::string(&format!("pid {LEAKER_PID}, {LEAKER_NAME}")),
            ),
            (Text::from("IOUserClientEntitlements"), Value::Bool(false)),
        ]);
        self.objs.attach(SERVICE, service, uc);
        self.give(LEAKER_PID, uc, PortKind::Connect)
            .ok_or(DemoError::NoLeakerTask)?;
        for _ in 0..LEAK_LOOKUPS_PER_STEP {
            self.give(LEAKER_PID, service, PortKind::Object);
        }
        self.leaked += 1;
        let n = self.leaked;
        let root = self.root;
        set_kernel_count(
            &mut self.objs.e(root).properties,
            "IOUserIterator",
            ITERATORS_AT_BOOT + n,
        );
        set_kernel_count(&mut self.objs.e(root).properties, LEAK_CLASS, n);
        self.notify(uc, ServiceNotice::FirstPublished);
        let id = self.objs.entry(uc).map_or(0, |e| e.registry_id);
        Ok(PlugEvent {
            description: format!(
                "{LEAKER_NAME} (pid {LEAKER_PID}) opened user client {n} ({id:#x}), looked \
                 {LEAK_SERVICE} up {LEAK_LOOKUPS_PER_STEP} more times and forgot an iterator"
            ),
            terminated: Vec::new(),
            published: vec![id],
        })
    }
}

impl SimKernel {
    /// One step of the leaking app: a user client opened and kept, the service looked up
    /// again without a release, an iterator forgotten.
    pub fn leak_step(&self) -> Result<PlugEvent, DemoError> {
        self.lock().leak_step()
    }

    /// Starts the leaking app with the other processes of the census, and runs `steps`
    /// steps. Call it before the first walk to have every task's ports from the start.
    pub fn spawn_leaker(&self, steps: u32) -> Pid {
        self.spawn_task(LEAKER_PID, LEAKER_NAME, OWN_UID, true, false);
        for _ in 0..steps {
            // The machine always has IOHIDSystem.
            let _ = self.leak_step();
        }
        LEAKER_PID
    }
}

/// Sets `IOKitDiagnostics` → `Classes` → `class` on the root's properties.
fn set_kernel_count(props: &mut [(Text, Value)], class: &str, count: u64) {
    let Some((_, Value::Dict(diag))) = props.iter_mut().find(|(k, _)| k == "IOKitDiagnostics")
    else {
        return;
    };
    let Some((_, Value::Dict(classes))) = diag.iter_mut().find(|(k, _)| k == "Classes") else {
        return;
    };
    match classes.iter_mut().find(|(k, _)| k == class) {
        Some((_, v)) => *v = Value::u64(count),
        None => classes.push((Text::from(class), Value::u64(count))),
    }
}
