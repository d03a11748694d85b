//! STUB (helper fills in): line splitting with lossy UTF-8 decoding and a maximum length.
