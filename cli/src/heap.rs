//! The heap of a run over large documents: grown in large steps, kept until exit, and backed by
//! huge pages.
//!
//! A run over 10,000 routes touches about 30 MB of heap that no page of it held before, and a
//! quarter of its validation time went to page faults, one per 4 KiB page (memcg charging,
//! zeroing), plus glibc giving memory back to the kernel between stages only to fault it in
//! again. glibc can put the heap on transparent huge pages (`glibc.malloc.hugetlb=1`), but only
//! through `GLIBC_TUNABLES` at exec time; this does the same from inside the process. Small runs
//! keep 4 KiB pages: zeroing a whole 2 MiB page costs more than the few hundred small pages
//! they touch (100 routes ran 0.9 ms slower with huge pages; 1,000 ran 7 % faster, 10,000 25 %).

use std::path::PathBuf;

/// From this much XML on (about 500 routes or 250 interfaces), a run's heap uses huge pages.
const LARGE_DOCUMENTS: u64 = 32 << 10;

/// Prepare the heap for reading `documents`: huge pages if they are large (see above).
pub fn prepare_for(documents: &[PathBuf]) {
    let bytes: u64 = documents.iter().filter_map(|d| std::fs::metadata(d).ok()).map(|m| m.len()).sum();
    if bytes >= LARGE_DOCUMENTS {
        prefer_huge_pages();
    }
}

/// How far the heap grows at a time: room for a large run's working set in one extension,
/// which is then marked for huge pages as one mapping. Only what is touched is ever resident.
const GROWTH: libc::c_int = 32 << 20;

/// Have the heap prefer transparent huge pages from its next growth on (the kernel's
/// `madvise` mode, the default here and on most distributions), and stop glibc from returning
/// memory to the kernel or serving large blocks from fresh mappings during the run. Once per
/// process.
fn prefer_huge_pages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: mallopt only changes glibc's tuning (its calls are serialised by glibc's own
    // lock); the block is allocated, measured against the program break and freed here, and
    // madvise(MADV_HUGEPAGE) on pages of our own heap changes how they are backed, not their
    // contents.
    ONCE.call_once(|| unsafe {
        libc::mallopt(libc::M_TOP_PAD, GROWTH);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * GROWTH);
        libc::mallopt(libc::M_MMAP_THRESHOLD, GROWTH / 2);
        // Larger than what is left of the heap's top, so the heap grows now, by GROWTH.
        let block = libc::malloc(256 << 10);
        if block.is_null() {
            return;
        }
        let start = (block as usize) & !4095;
        let end = libc::sbrk(0) as usize;
        if end > start {
            // Refused (no THP support, or disabled): the heap keeps 4 KiB pages.
            let _ = libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
        libc::free(block);
    });
}
