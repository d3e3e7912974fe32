//! Publish and terminate notifications on a background thread with its own CFRunLoop.

use super::ffi::{IO_RETURN_NO_MEMORY, IO_RETURN_NO_RESOURCES, MAIN_PORT_DEFAULT};
use super::object::IoObject;
use crate::kernel::{KernReturn, ServiceNotice, Watch};
use core_foundation_sys::base::{CFRelease, CFRetain};
use core_foundation_sys::runloop::{
    CFRunLoopAddSource, CFRunLoopGetCurrent, CFRunLoopRef, CFRunLoopRunInMode, CFRunLoopStop,
    CFRunLoopWakeUp, kCFRunLoopDefaultMode,
};
use io_kit_sys::keys::{kIOFirstPublishNotification, kIOTerminatedNotification};
use io_kit_sys::types::io_iterator_t;
use io_kit_sys::{
    IOIteratorNext, IONotificationPortCreate, IONotificationPortDestroy,
    IONotificationPortGetRunLoopSource, IONotificationPortRef, IOObjectRelease,
    IOServiceAddMatchingNotification, IOServiceMatching,
};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

/// How often the loop looks at the stop flag even if no stop message got through.
const POLL_SECONDS: f64 = 0.5;

/// The watch thread's run loop, retained, so the guard can stop it from another thread
/// (`CFRunLoopStop` and `CFRunLoopWakeUp` are thread-safe).
struct RunLoopRef(CFRunLoopRef);
// SAFETY: only the thread-safe CFRunLoopStop/WakeUp and CFRelease are called through it.
unsafe impl Send for RunLoopRef {}

/// Keeps the notifications alive; dropping it stops the run loop, joins the thread, and the
/// thread releases the iterators and the notification port on its way out.
pub(crate) struct ServiceWatch {
    run_loop: RunLoopRef,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watch for ServiceWatch {}

impl Drop for ServiceWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // SAFETY: the run loop is retained by us until the CFRelease below.
        unsafe {
            CFRunLoopStop(self.run_loop.0);
            CFRunLoopWakeUp(self.run_loop.0);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // SAFETY: balances the CFRetain made on the watch thread.
        unsafe { CFRelease(self.run_loop.0.cast()) };
    }
}

/// Starts the watch thread; returns once the notifications are armed (or failed to be).
pub(crate) fn start(sink: Sender<ServiceNotice>) -> Result<ServiceWatch, KernReturn> {
    let stop = Arc::new(AtomicBool::new(false));
    let (ready, armed) = mpsc::channel();
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("ioscope-notifications".into())
        .spawn(move || run(sink, thread_stop, ready))
        .map_err(|_| IO_RETURN_NO_MEMORY)?;
    match armed.recv() {
        Ok(Ok(run_loop)) => Ok(ServiceWatch {
            run_loop,
            stop,
            thread: Some(thread),
        }),
        Ok(Err(code)) => {
            let _ = thread.join();
            Err(code)
        }
        Err(_) => {
            let _ = thread.join();
            Err(KernReturn::IO_RETURN_INTERNAL_ERROR)
        }
    }
}

/// What a callback needs: where to send, and which notice to make.
struct Context {
    sink: Sender<ServiceNotice>,
    make: fn(u32) -> ServiceNotice,
}

/// Owns an `IONotificationPortRef` (destroyed on drop, which also invalidates its source).
struct NotifyPort(IONotificationPortRef);

impl Drop for NotifyPort {
    fn drop(&mut self) {
        // SAFETY: created by IONotificationPortCreate and destroyed once.
        unsafe { IONotificationPortDestroy(self.0) };
    }
}

fn run(
    sink: Sender<ServiceNotice>,
    stop: Arc<AtomicBool>,
    ready: Sender<Result<RunLoopRef, KernReturn>>,
) {
    // Declared first so they are dropped last, after the port that calls back into them.
    let published = Box::new(Context {
        sink: sink.clone(),
        make: ServiceNotice::FirstPublished,
    });
    let terminated = Box::new(Context {
        sink,
        make: ServiceNotice::Terminated,
    });
    let armed = arm(&published, &terminated);
    let (port, iterators) = match armed {
        Ok(parts) => parts,
        Err(code) => {
            let _ = ready.send(Err(code));
            return;
        }
    };
    // SAFETY: the current thread's run loop lives as long as the thread; the retain lets the
    // guard use it until its own CFRelease.
    let run_loop = unsafe {
        let rl = CFRunLoopGetCurrent();
        CFRetain(rl.cast());
        rl
    };
    if ready.send(Ok(RunLoopRef(run_loop))).is_err() {
        // SAFETY: nobody took the retain above.
        unsafe { CFRelease(run_loop.cast()) };
        drop(iterators);
        drop(port);
        return;
    }
    while !stop.load(Ordering::SeqCst) {
        // SAFETY: runs this thread's own run loop in the default mode.
        unsafe { CFRunLoopRunInMode(kCFRunLoopDefaultMode, POLL_SECONDS, 0) };
    }
    // Iterators first (no more callbacks armed), then the port, then (on return) the contexts.
    drop(iterators);
    drop(port);
}

/// Creates the notification port on this thread's run loop and both notifications.
fn arm(
    published: &Context,
    terminated: &Context,
) -> Result<(NotifyPort, [IoObject; 2]), KernReturn> {
    // SAFETY: 0 is the main port; a NULL result is checked.
    let raw = unsafe { IONotificationPortCreate(MAIN_PORT_DEFAULT) };
    if raw.is_null() {
        return Err(IO_RETURN_NO_MEMORY);
    }
    let port = NotifyPort(raw);
    // SAFETY: a live port. The source belongs to the port (Get rule: not ours to release) and
    // stays valid while it lives; IONotificationPortDestroy invalidates and releases it.
    let source = unsafe { IONotificationPortGetRunLoopSource(port.0) };
    if source.is_null() {
        // IOKitLib.c gives NULL when its CFMachPort cannot be made or CF hands back a recycled
        // one; the port is destroyed on return.
        return Err(IO_RETURN_NO_RESOURCES);
    }
    // SAFETY: a non-NULL source; the run loop takes its own reference.
    unsafe { CFRunLoopAddSource(CFRunLoopGetCurrent(), source, kCFRunLoopDefaultMode) };
    let first = add(&port, kIOFirstPublishNotification, published)?;
    let gone = add(&port, kIOTerminatedNotification, terminated)?;
    Ok((port, [first, gone]))
}

/// `IOServiceAddMatchingNotification(port, kind, IOServiceMatching("IOService"), …)`, then a
/// first drain that arms it: the services that already exist are not news, so they are
/// released unreported.
fn add(port: &NotifyPort, kind: *const c_char, context: &Context) -> Result<IoObject, KernReturn> {
    // SAFETY: a NUL-terminated literal; the dictionary is consumed by the next call (also on error).
    let matching = unsafe { IOServiceMatching(c"IOService".as_ptr()) };
    if matching.is_null() {
        return Err(IO_RETURN_NO_MEMORY);
    }
    let mut iterator: io_iterator_t = 0;
    let refcon = std::ptr::from_ref(context).cast_mut().cast::<c_void>();
    // SAFETY: `context` outlives the port (see `run`), the callback matches
    // IOServiceMatchingCallback, and the out-pointer is a local.
    let kr = unsafe {
        IOServiceAddMatchingNotification(
            port.0,
            kind,
            matching.cast_const(),
            on_services,
            refcon,
            &mut iterator,
        )
    };
    // Owned before the code is looked at, so nothing is left behind on any path.
    let iterator = IoObject::from_owned(iterator);
    KernReturn(kr as u32).ok()?;
    let iterator = iterator.ok_or(KernReturn::IO_RETURN_INTERNAL_ERROR)?;
    drain(iterator.port(), |object| {
        // SAFETY: a reference IOIteratorNext gave us.
        unsafe { IOObjectRelease(object) };
    });
    Ok(iterator)
}

/// The IOServiceMatchingCallback: every new object becomes a notice owning its reference.
unsafe extern "C" fn on_services(refcon: *mut c_void, iterator: io_iterator_t) {
    // SAFETY: refcon is the `Context` registered in `add`, alive until the port is destroyed.
    let context = unsafe { &*refcon.cast::<Context>() };
    drain(iterator, |object| {
        if context.sink.send((context.make)(object)).is_err() {
            // Nobody listens any more: give the reference back.
            // SAFETY: the reference IOIteratorNext gave us.
            unsafe { IOObjectRelease(object) };
        }
    });
}

/// Empties a notification iterator (which re-arms it).
fn drain(iterator: io_iterator_t, mut each: impl FnMut(u32)) {
    loop {
        // SAFETY: any iterator name is accepted; 0 means exhausted or invalid.
        let object = unsafe { IOIteratorNext(iterator) };
        if object == 0 {
            break;
        }
        each(object);
    }
}
