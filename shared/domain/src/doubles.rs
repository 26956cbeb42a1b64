//! Test support (feature `testing`): in-memory stand-ins for the ports that only send things
//! away (a queue's next steps, the bus's events), which tests read back; and the export
//! archive's test material (bytes that do not compress, an archive read back).

use std::io::Read;
use std::sync::Mutex;

use crate::error::StoreError;
use crate::history::DomainEvent;
use crate::store::{EventPublisher, JobKind, JobQueue};

/// The steps a job queued, in order.
#[derive(Default)]
pub struct MemoryQueue(pub Mutex<Vec<(String, JobKind)>>);

impl MemoryQueue {
    /// The step queued last, taken off the queue.
    pub fn pop(&self) -> Option<(String, JobKind)> {
        self.0.lock().expect("queue lock").pop()
    }
}

impl JobQueue for MemoryQueue {
    async fn next_step(&self, job: &str, kind: JobKind) -> Result<(), StoreError> {
        self.0
            .lock()
            .expect("queue lock")
            .push((job.to_owned(), kind));
        Ok(())
    }
}

/// The events published, in order.
#[derive(Default)]
pub struct MemoryBus(pub Mutex<Vec<DomainEvent>>);

impl MemoryBus {
    pub fn events(&self) -> Vec<DomainEvent> {
        self.0.lock().expect("bus lock").clone()
    }
}

impl EventPublisher for MemoryBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        self.0.lock().expect("bus lock").extend_from_slice(events);
        Ok(())
    }
}

/// `len` bytes that do not compress (xorshift): a file that fills archive parts.
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

/// An export archive's files, in order, read as any gzip and tar reader reads them (every
/// gzip member). Panics on a broken archive: for tests.
pub fn archive_entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut reader = tar::Archive::new(flate2::read::MultiGzDecoder::new(archive));
    reader
        .entries()
        .expect("a tar archive")
        .map(|entry| {
            let mut entry = entry.expect("an entry");
            let path = entry.path().expect("a path").to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("its bytes");
            (path, bytes)
        })
        .collect()
}
