//! The export archive: a tar file (ustar) compressed with gzip, written in pieces. Each step of
//! an export writes its entries as one gzip member; members written one after another are one
//! valid gzip stream (RFC 1952, 2.2), and a tar file has no index to write at its end, only two
//! empty blocks. So a step needs nothing of the steps before it but the compressed bytes they
//! had not uploaded yet (the carry, under a part's minimum size), and an archive of any size is
//! a chain of bounded steps.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;

/// The size at which the compressed bytes are uploaded as a part (S3 wants 5 MiB at least for
/// every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// A ustar name (the last path segment) holds 100 bytes.
const NAME_MAX: usize = 100;
const BLOCK: usize = 512;

/// One step's share of an archive.
pub struct ArchiveWriter {
    encoder: GzEncoder<Vec<u8>>,
    /// Every entry's modification time: the job's start, so that a step run again writes the
    /// same bytes for the same content.
    mtime: u64,
}

impl ArchiveWriter {
    /// Continues an archive after `carry`, the bytes the previous step did not upload.
    pub fn resume(carry: Vec<u8>, mtime: u64) -> Self {
        // Fast compression: most of an export's bytes are attachments, often compressed
        // already; the threads' JSON still shrinks to about a fifth.
        Self {
            encoder: GzEncoder::new(carry, Compression::fast()),
            mtime,
        }
    }

    /// Adds a file at `path` (`directory/name`; a name longer than a ustar entry holds is
    /// shortened, keeping its extension).
    pub fn append(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_path(fit_path(path))?;
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.encoder.write_all(header.as_bytes())?;
        self.encoder.write_all(bytes)?;
        let padding = (BLOCK - bytes.len() % BLOCK) % BLOCK;
        self.encoder.write_all(&[0; BLOCK][..padding])
    }

    /// The compressed bytes so far, when they make a part; they are then the caller's to upload.
    pub fn take_part(&mut self) -> Option<Vec<u8>> {
        let written = self.encoder.get_mut();
        (written.len() >= PART_BYTES).then(|| std::mem::take(written))
    }

    /// Ends this step's gzip member; what is left to upload (the next step's carry).
    pub fn finish_step(self) -> io::Result<Vec<u8>> {
        self.encoder.finish()
    }

    /// Ends the archive (the two empty blocks of a tar file's end) and the gzip member; the
    /// last part.
    pub fn finish_archive(mut self) -> io::Result<Vec<u8>> {
        self.encoder.write_all(&[0; 2 * BLOCK])?;
        self.encoder.finish()
    }
}

/// `path` with its last segment cut to what a ustar name holds (at a character boundary,
/// keeping a short extension); the directories are the export's own, always short.
fn fit_path(path: &str) -> String {
    let (directory, name) = path.rsplit_once('/').unwrap_or(("", path));
    if name.len() <= NAME_MAX {
        return path.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= 16)
        .map(|ext| format!(".{ext}"))
        .unwrap_or_default();
    let mut stem_end = NAME_MAX - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    let fitted = format!("{}{extension}", &name[..stem_end]);
    if directory.is_empty() {
        fitted
    } else {
        format!("{directory}/{fitted}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doubles::{archive_entries as entries, noise};

    #[test]
    fn steps_chained_through_their_carries_make_one_archive() {
        let big = noise(PART_BYTES + 100_000);
        let mut uploaded = Vec::new();

        let mut first = ArchiveWriter::resume(Vec::new(), 1_700_000_000);
        first.append("export.json", b"{\"jobId\":\"J\"}").unwrap();
        first.append("tickets/T1/ticket.json", b"{}").unwrap();
        let carry = first.finish_step().unwrap();
        assert!(carry.len() < PART_BYTES);

        let mut second = ArchiveWriter::resume(carry, 1_700_000_000);
        second.append("tickets/T2/files/A/photo.bin", &big).unwrap();
        let part = second.take_part().expect("a whole part");
        assert!(part.len() >= PART_BYTES);
        uploaded.extend(part);
        assert!(second.take_part().is_none(), "taken once");
        second.append("tickets/T2/ticket.json", b"[1]").unwrap();
        let carry = second.finish_step().unwrap();

        let mut last = ArchiveWriter::resume(carry, 1_700_000_000);
        last.append("tickets/T3/ticket.json", "ñ".as_bytes())
            .unwrap();
        uploaded.extend(last.finish_archive().unwrap());

        let found = entries(&uploaded);
        let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "export.json",
                "tickets/T1/ticket.json",
                "tickets/T2/files/A/photo.bin",
                "tickets/T2/ticket.json",
                "tickets/T3/ticket.json"
            ]
        );
        assert_eq!(found[2].1, big);
        assert_eq!(found[4].1, "ñ".as_bytes());
    }

    #[test]
    fn a_step_run_again_writes_the_same_bytes() {
        let write = || {
            let mut step = ArchiveWriter::resume(b"carried".to_vec(), 42);
            step.append("tickets/T/ticket.json", b"{\"a\":1}").unwrap();
            step.finish_step().unwrap()
        };
        assert_eq!(write(), write());
    }

    #[test]
    fn an_empty_export_is_a_valid_empty_archive() {
        let archive = ArchiveWriter::resume(Vec::new(), 0)
            .finish_archive()
            .unwrap();
        assert!(entries(&archive).is_empty());
    }

    #[test]
    fn long_names_are_shortened_keeping_their_extension() {
        let long = format!("tickets/T/files/A/{}.pdf", "é".repeat(80));
        let fitted = fit_path(&long);
        let name = fitted.rsplit_once('/').unwrap().1;
        assert!(name.len() <= NAME_MAX && name.ends_with(".pdf"), "{name}");
        let mut step = ArchiveWriter::resume(Vec::new(), 0);
        step.append(&long, b"x").unwrap();
        let found = entries(&step.finish_archive().unwrap());
        assert_eq!(found[0].0, fitted);
        assert_eq!(fit_path("tickets/T/ticket.json"), "tickets/T/ticket.json");
    }
}
