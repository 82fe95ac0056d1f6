//! Application services: what REST, GraphQL and the CLI share, below the HTTP layer.

pub mod accounts;
pub mod auth;
pub mod cameras;
pub mod counts;
