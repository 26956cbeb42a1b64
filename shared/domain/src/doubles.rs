//! Test support (feature `testing`): in-memory stand-ins for the ports that only send things
//! away (a queue's next steps, the bus's events), which tests read back.

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
