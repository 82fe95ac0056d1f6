//! The clock the API and the camera service share (see [`footfall_live::clock`]).

pub use footfall_live::clock::*;
