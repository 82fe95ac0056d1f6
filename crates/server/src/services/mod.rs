//! Application services: what REST, GraphQL and the CLI share, below the HTTP layer.

pub mod counts;
