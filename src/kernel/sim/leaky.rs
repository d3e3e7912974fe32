//! `--demo-leak`: the simulated Mac runs an app that leaks, at a steady rate, what real apps
//! leak. Each step it opens a user client on IOHIDSystem and never closes it (the client
//! carries `IOUserClientCreator` = `"pid 501, LeakyApp"`, as `IOUserClient::setTask` sets
//! it; the client's link retains IOHIDSystem, whose retain count climbs), and it forgets the
//! `io_iterator_t` of an `IOServiceGetMatchingServices` call (an IOUserIterator the kernel
//! keeps alive outside the registry: only the kernel's class count, `IOKitDiagnostics` →
//! `Classes`, which `ioclasscount` reads, shows it).

use super::SimKernel;
use super::objects::{ObjId, SERVICE};
use crate::kernel::{PlugEvent, ServiceNotice};
use crate::registry::{Text, Value};

/// The leaking app's PID and name.
pub const LEAKY_PID: u32 = 501;
pub const LEAKY_NAME: &str = "LeakyApp";
/// The service it opens its clients on, and their class.
pub const LEAKY_SERVICE: &str = "IOHIDSystem";
pub const LEAKY_CLIENT_CLASS: &str = "IOHIDLibUserClient";
/// IOUserIterator objects alive before the app starts (other processes' iterators).
pub const ITERATORS_AT_BOOT: u64 = 17;

impl SimKernel {
    /// One step of the leaking app: a user client opened and kept, an iterator forgotten.
    pub fn leak_step(&self) -> Result<PlugEvent, String> {
        let mut st = self.lock();
        let service = (0..st.objs.len() as u32)
            .map(ObjId)
            .find(|&o| {
                st.objs
                    .entry(o)
                    .is_some_and(|e| e.class == LEAKY_SERVICE && e.planes[SERVICE].parent.is_some())
            })
            .ok_or("the demo has no IOHIDSystem")?;
        // The app's connect port keeps the client alive: one reference besides the link.
        let uc = st.objs.add_entry(LEAKY_CLIENT_CLASS, LEAKY_CLIENT_CLASS, 1);
        st.objs.e(uc).properties.extend([
            (
                Text::from("IOUserClientCreator"),
                Value::string(&format!("pid {LEAKY_PID}, {LEAKY_NAME}")),
            ),
            (Text::from("IOUserClientEntitlements"), Value::Bool(false)),
        ]);
        st.objs.attach(SERVICE, service, uc);
        st.leaked += 1;
        let n = st.leaked;
        let root = st.root;
        set_kernel_count(
            &mut st.objs.e(root).properties,
            "IOUserIterator",
            ITERATORS_AT_BOOT + n,
        );
        set_kernel_count(&mut st.objs.e(root).properties, LEAKY_CLIENT_CLASS, n);
        st.notify(uc, ServiceNotice::FirstPublished);
        let id = st.objs.entry(uc).map_or(0, |e| e.registry_id);
        Ok(PlugEvent {
            description: format!(
                "{LEAKY_NAME} (pid {LEAKY_PID}) opened user client {n} ({id:#x}) and forgot an iterator"
            ),
            terminated: Vec::new(),
            published: vec![id],
        })
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
