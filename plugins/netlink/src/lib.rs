//! Raw netlink for plugins (filled in by the apply issue).
