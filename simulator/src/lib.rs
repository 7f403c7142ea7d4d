//! An offline Smart-ID RP API v3 simulator (work in progress on this branch).
