//! STUB (helper fills in): a line server replaying text over TCP, the project's `nc -lk`.
