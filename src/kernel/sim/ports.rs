//! Kernel ports and our task's port name space, as xnu's ipc code treats them.
//!
//! Rules (see `mach-iokit-rules.md` §2–§4): one live port per (object, kind); copying a
//! port we already hold a send right for out to the task gives the same name with
//! urefs + 1 (pegged at 65535); otherwise a name is claimed from the LIFO free list with
//! the generation bumped by 4 (names end in 03, 07, 0b …), as `ipc_entry_claim` does
//! (`ipc_entry_new_gen` modulo the slot's rollover point, a new rollover point when it
//! rolls: osfmk/ipc/ipc_entry.h). A released name therefore never names a right again
//! until its slot has been reused a whole rollover period (16 to 63 claims). A send right
//! whose port died turns into a dead name lazily, the next time the name is used.

use super::objects::ObjId;
use crate::kernel::{KernReturn, MACH_PORT_DEAD, MACH_PORT_NULL, Port, port_type, right};
use std::collections::HashMap;

/// `MACH_PORT_UREFS_MAX` (osfmk/ipc/port.h).
pub(crate) const UREFS_MAX: u32 = 65535;

/// A kernel port (index into [`PortTable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PortId(pub u32);

/// What a port stands for (`IKOT_IOKIT_OBJECT`, `IKOT_IOKIT_CONNECT`, or anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PortKind {
    Object,
    Connect,
    /// Not an IOKit port (the runtime's own ports in our task).
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct PortRec {
    pub object: Option<ObjId>,
    pub kind: PortKind,
    pub active: bool,
}

/// Every kernel port, and the IOMachPort lookup `(object, kind) → port`.
#[derive(Debug, Default)]
pub(crate) struct PortTable {
    recs: Vec<PortRec>,
    live: HashMap<(ObjId, PortKind), PortId>,
    /// Destroyed ports that no right names any more (the no-senders path), reused by
    /// [`alloc`](Self::alloc). Ports destroyed at termination are never reused: dead
    /// names keep pointing at them.
    free: Vec<PortId>,
}

impl PortTable {
    /// `iokit_port_for_object`: the existing live port, or a new one.
    pub(crate) fn port_for(&mut self, object: ObjId, kind: PortKind) -> PortId {
        if let Some(&p) = self.live.get(&(object, kind)) {
            return p;
        }
        let p = self.alloc(Some(object), kind);
        self.live.insert((object, kind), p);
        p
    }

    /// A port that is no IOKit object's (runtime ports).
    pub(crate) fn alloc_other(&mut self) -> PortId {
        self.alloc(None, PortKind::Other)
    }

    fn alloc(&mut self, object: Option<ObjId>, kind: PortKind) -> PortId {
        let rec = PortRec {
            object,
            kind,
            active: true,
        };
        if let Some(p) = self.free.pop() {
            self.recs[p.0 as usize] = rec;
            return p;
        }
        let p = PortId(self.recs.len() as u32);
        self.recs.push(rec);
        p
    }

    /// Gives back a destroyed port that no right names (its last send right is gone).
    pub(crate) fn recycle(&mut self, port: PortId) {
        if !self.recs[port.0 as usize].active {
            self.free.push(port);
        }
    }

    #[cfg(test)]
    /// Port records, live or not (the table only grows when none can be reused).
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    pub(crate) fn existing(&self, object: ObjId, kind: PortKind) -> Option<PortId> {
        self.live.get(&(object, kind)).copied()
    }

    pub(crate) fn get(&self, port: PortId) -> &PortRec {
        &self.recs[port.0 as usize]
    }

    pub(crate) fn is_active(&self, port: PortId) -> bool {
        self.get(port).active
    }

    /// `iokit_destroy_object_port`: the port becomes inactive and leaves the lookup.
    /// Returns whether it was live.
    pub(crate) fn destroy(&mut self, port: PortId) -> bool {
        let rec = &mut self.recs[port.0 as usize];
        if !rec.active {
            return false;
        }
        rec.active = false;
        if let Some(obj) = rec.object {
            self.live.remove(&(obj, rec.kind));
        }
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RightKind {
    Send,
    DeadName,
    Receive,
}

#[derive(Debug, Clone, Copy)]
struct Right {
    kind: RightKind,
    urefs: u32,
    port: PortId,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The name's low byte (`MACH_PORT_GEN`): the top byte of xnu's `ie_bits`.
    generation: u8,
    /// The rollover point (`IE_BITS_ROLL`, 0..=3: periods 64, 48, 32, 16 in xnu's table).
    roll: u8,
    right: Option<Right>,
}

/// What a freed right leaves behind: the port no right of ours names any more. For a send
/// right the port lost its last sender (no-senders); for a dead name the port was already
/// destroyed, and its record can now be reused.
pub(crate) type NoSenders = Option<PortId>;

/// Our task's IPC space: name → right.
#[derive(Debug)]
pub(crate) struct NameSpace {
    slots: Vec<Slot>,
    /// Freed indices, most recent last (`ipc_entry_dealloc` pushes at the head).
    free: Vec<u32>,
    /// `ipc_hash`: port → index of our send right for it.
    reverse: HashMap<PortId, u32>,
    /// State of the pseudo-random rollover points (`ipc_space_get_rollpoint` uses
    /// `random()`; the sim is deterministic).
    roll_seed: u32,
}

/// A fresh generation: `ipc_entry_new_rollpoint` gives `IE_BITS_GEN_MASK + IE_BITS_GEN_ONE`,
/// which is 0x03 in the name's low byte.
const FIRST_GENERATION: u8 = 0x03;
/// `IE_BITS_GEN_ONE` as seen in the name's low byte.
const GENERATION_STEP: u32 = 0x04;

/// `ipc_entry_new_gen`: the next generation modulo the rollover point
/// (`IE_BITS_ROLL(bits) = ((roll << 8) ^ IE_BITS_GEN_MASK)`, in low-byte terms
/// 0xff, 0xbf, 0x7f or 0x3f), or `None` when it rolls over (`ipc_entry_gen_rolled`).
pub(crate) fn next_generation(generation: u8, roll: u8) -> Option<u8> {
    let sum = (u32::from(generation) + GENERATION_STEP) & 0xff;
    let modulus = (u32::from(roll & 0x3) << 6) ^ 0xff;
    let next = sum % modulus;
    (next > u32::from(generation)).then_some(next as u8)
}

fn name_of(index: u32, generation: u8) -> Port {
    (index << 8) | u32::from(generation)
}

fn valid(name: Port) -> bool {
    name != MACH_PORT_NULL && name != MACH_PORT_DEAD
}

impl NameSpace {
    /// An empty space. Index 0 is never used (name 0 is `MACH_PORT_NULL`).
    pub(crate) fn new() -> Self {
        NameSpace {
            slots: vec![Slot {
                generation: 0,
                roll: 0,
                right: None,
            }],
            free: Vec::new(),
            reverse: HashMap::new(),
            roll_seed: 0x1234_5678,
        }
    }

    /// `ipc_space_get_rollpoint`: one of the four rollover points, pseudo-randomly.
    fn rollpoint(&mut self) -> u8 {
        // xorshift32: deterministic, so the demo and the tests see the same names every run.
        let mut x = self.roll_seed;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.roll_seed = x;
        (x >> 30) as u8
    }

    /// `ipc_entry_claim`: the slot at the head of the free list (LIFO), its generation
    /// moved on by one step, or restarted with a new rollover point when it rolls over.
    fn claim(&mut self, right: Right) -> Port {
        let index = match self.free.pop() {
            Some(i) => {
                let Slot {
                    generation, roll, ..
                } = self.slots[i as usize];
                let (generation, roll) = match next_generation(generation, roll) {
                    Some(g) => (g, roll),
                    None => (FIRST_GENERATION, self.rollpoint()),
                };
                self.slots[i as usize] = Slot {
                    generation,
                    roll,
                    right: Some(right),
                };
                i
            }
            None => {
                let roll = self.rollpoint();
                self.slots.push(Slot {
                    generation: FIRST_GENERATION,
                    roll,
                    right: Some(right),
                });
                (self.slots.len() - 1) as u32
            }
        };
        name_of(index, self.slots[index as usize].generation)
    }

    fn free_slot(&mut self, index: u32) {
        if let Some(r) = self.slots[index as usize].right.take()
            && r.kind == RightKind::Send
        {
            self.reverse.remove(&r.port);
        }
        self.free.push(index);
    }

    /// A receive right for a runtime port (the task's own ports before IOKit is used).
    pub(crate) fn insert_receive(&mut self, port: PortId) -> Port {
        self.claim(Right {
            kind: RightKind::Receive,
            urefs: 0,
            port,
        })
    }

    /// `ipc_object_copyout` of a send right: the same name with urefs + 1 (pegged) if we
    /// hold one for this port, else a new name.
    pub(crate) fn copyout_send(&mut self, port: PortId) -> Port {
        if let Some(&index) = self.reverse.get(&port) {
            let slot = &mut self.slots[index as usize];
            if let Some(r) = slot.right.as_mut()
                && r.kind == RightKind::Send
            {
                if r.urefs < UREFS_MAX {
                    r.urefs += 1;
                }
                return name_of(index, slot.generation);
            }
        }
        let name = self.claim(Right {
            kind: RightKind::Send,
            urefs: 1,
            port,
        });
        self.reverse.insert(port, name >> 8);
        name
    }

    /// `ipc_entry_lookup` + `ipc_right_check`: the index of a name in use, with a send
    /// right on a dead port converted to a dead name (urefs kept).
    fn lookup(&mut self, name: Port, ports: &PortTable) -> Option<u32> {
        let index = name >> 8;
        let slot = self.slots.get_mut(index as usize)?;
        if index == 0 || slot.generation != (name & 0xff) as u8 {
            return None;
        }
        let r = slot.right.as_mut()?;
        if r.kind == RightKind::Send && !ports.is_active(r.port) {
            r.kind = RightKind::DeadName;
            self.reverse.remove(&r.port);
        }
        Some(index)
    }

    fn right(&self, index: u32) -> Right {
        self.slots[index as usize]
            .right
            .expect("looked-up slot has a right")
    }

    fn right_mut(&mut self, index: u32) -> &mut Right {
        self.slots[index as usize]
            .right
            .as_mut()
            .expect("looked-up slot has a right")
    }

    /// MIG copyin with `COPY_SEND`: the port a name sends to, or `MACH_SEND_INVALID_DEST`.
    pub(crate) fn copyin_send(
        &mut self,
        name: Port,
        ports: &PortTable,
    ) -> Result<PortId, KernReturn> {
        if !valid(name) {
            return Err(KernReturn::MACH_SEND_INVALID_DEST);
        }
        let index = self
            .lookup(name, ports)
            .ok_or(KernReturn::MACH_SEND_INVALID_DEST)?;
        let r = self.right(index);
        match r.kind {
            RightKind::Send => Ok(r.port),
            RightKind::DeadName | RightKind::Receive => Err(KernReturn::MACH_SEND_INVALID_DEST),
        }
    }

    /// `mach_port_get_refs`.
    pub(crate) fn get_refs(
        &mut self,
        name: Port,
        which: u32,
        ports: &PortTable,
    ) -> Result<u32, KernReturn> {
        if which >= right::NUMBER {
            return Err(KernReturn::INVALID_VALUE);
        }
        if !valid(name) {
            return if which == right::SEND || which == right::SEND_ONCE {
                Ok(1)
            } else {
                Err(KernReturn::INVALID_NAME)
            };
        }
        let index = self.lookup(name, ports).ok_or(KernReturn::INVALID_NAME)?;
        let r = self.right(index);
        Ok(match (r.kind, which) {
            (RightKind::Send, right::SEND) | (RightKind::DeadName, right::DEAD_NAME) => r.urefs,
            (RightKind::Receive, right::RECEIVE) => 1,
            _ => 0,
        })
    }

    /// `mach_port_type`.
    pub(crate) fn type_of(&mut self, name: Port, ports: &PortTable) -> Result<u32, KernReturn> {
        if name == MACH_PORT_NULL {
            return Err(KernReturn::INVALID_NAME);
        }
        if name == MACH_PORT_DEAD {
            return Ok(port_type::DEAD_NAME);
        }
        let index = self.lookup(name, ports).ok_or(KernReturn::INVALID_NAME)?;
        Ok(type_bits(self.right(index).kind))
    }

    /// `mach_port_deallocate`. Returns the port that lost its last send right, if any.
    pub(crate) fn deallocate(
        &mut self,
        name: Port,
        ports: &PortTable,
    ) -> Result<NoSenders, KernReturn> {
        if !valid(name) {
            return Ok(None);
        }
        let index = self.lookup(name, ports).ok_or(KernReturn::INVALID_NAME)?;
        let r = self.right_mut(index);
        if r.kind == RightKind::Receive {
            return Err(KernReturn::INVALID_RIGHT);
        }
        if r.urefs < UREFS_MAX {
            r.urefs -= 1;
        }
        Ok(self.free_if_unused(index))
    }

    fn free_if_unused(&mut self, index: u32) -> NoSenders {
        let r = self.right(index);
        if r.urefs > 0 {
            return None;
        }
        self.free_slot(index);
        matches!(r.kind, RightKind::Send | RightKind::DeadName).then_some(r.port)
    }

    /// `mach_port_mod_refs`. Returns the port that lost its last send right, if any.
    pub(crate) fn mod_refs(
        &mut self,
        name: Port,
        which: u32,
        delta: i32,
        ports: &PortTable,
    ) -> Result<NoSenders, KernReturn> {
        if which >= right::NUMBER {
            return Err(KernReturn::INVALID_VALUE);
        }
        if !valid(name) {
            return if which == right::SEND || which == right::SEND_ONCE {
                Ok(None)
            } else {
                Err(KernReturn::INVALID_NAME)
            };
        }
        let index = self.lookup(name, ports).ok_or(KernReturn::INVALID_NAME)?;
        let wanted = match which {
            right::SEND => RightKind::Send,
            right::DEAD_NAME => RightKind::DeadName,
            right::RECEIVE => RightKind::Receive,
            _ => return Err(KernReturn::INVALID_RIGHT),
        };
        let r = self.right_mut(index);
        if r.kind != wanted {
            return Err(KernReturn::INVALID_RIGHT);
        }
        if wanted == RightKind::Receive {
            return match delta {
                0 => Ok(None),
                -1 => {
                    self.free_slot(index);
                    Ok(None)
                }
                _ => Err(KernReturn::INVALID_VALUE),
            };
        }
        r.urefs = new_urefs(r.urefs, delta)?;
        Ok(self.free_if_unused(index))
    }

    /// `mach_port_names`: every name in use with its type bits (dead ports show as dead names).
    pub(crate) fn names(&mut self, ports: &PortTable) -> Vec<(Port, u32)> {
        let mut out = Vec::new();
        for index in 1..self.slots.len() as u32 {
            let slot = self.slots[index as usize];
            if slot.right.is_none() {
                continue;
            }
            let name = name_of(index, slot.generation);
            if let Some(i) = self.lookup(name, ports) {
                out.push((name, type_bits(self.right(i).kind)));
            }
        }
        out
    }

    /// Whether any name here (send right, dead name) still refers to `port`: a port shared
    /// with other tasks stays while one of them names it.
    pub(crate) fn refers_to(&self, port: PortId) -> bool {
        self.slots
            .iter()
            .any(|s| s.right.is_some_and(|r| r.port == port))
    }

    /// Slots of the name table, used or not (index 0 included): `iisb_table_size`.
    pub(crate) fn table_len(&self) -> usize {
        self.slots.len()
    }

    /// The port a name holds a send right or dead name for (no conversion), for the kernel's bookkeeping.
    pub(crate) fn port_of(&self, name: Port) -> Option<PortId> {
        let index = name >> 8;
        let slot = self.slots.get(index as usize)?;
        if index == 0 || slot.generation != (name & 0xff) as u8 {
            return None;
        }
        slot.right.map(|r| r.port)
    }
}

impl Default for NameSpace {
    fn default() -> Self {
        Self::new()
    }
}

fn type_bits(kind: RightKind) -> u32 {
    match kind {
        RightKind::Send => port_type::SEND,
        RightKind::DeadName => port_type::DEAD_NAME,
        RightKind::Receive => port_type::RECEIVE,
    }
}

/// `ipc_right_delta` arithmetic: |delta| ≤ 65535, never below 0, pegged at the maximum
/// (a pegged count only moves by exactly −65535).
fn new_urefs(current: u32, delta: i32) -> Result<u32, KernReturn> {
    if delta.unsigned_abs() > UREFS_MAX {
        return Err(KernReturn::INVALID_VALUE);
    }
    if current == UREFS_MAX {
        return Ok(if delta == -(UREFS_MAX as i32) {
            0
        } else {
            current
        });
    }
    let sum = i64::from(current) + i64::from(delta);
    if sum < 0 {
        return Err(KernReturn::INVALID_VALUE);
    }
    Ok(sum.min(i64::from(UREFS_MAX)) as u32)
}
