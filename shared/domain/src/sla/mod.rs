//! Service levels: the desk's schedule and policies, and the clocks every ticket carries
//! (docs/API.md, Service levels).

pub mod clock;
pub mod policy;
pub mod schedule;
pub mod settings;

pub use clock::{Clock, ClockStatus, Message, Sla, TargetKind};
pub use policy::{SlaDocument, SlaPolicies};
pub use schedule::{Hours, Interval, Schedule};
