//! The SPEC's enumerations. Each is a PostgreSQL ENUM type and a CHECKed TEXT column in
//! SQLite; serde and the database use the same lowercase names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! db_enum {
    ($(#[$meta:meta])* $name:ident, $pg:literal, { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[sqlx(type_name = $pg, rename_all = "lowercase")]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

db_enum!(
    /// user_role: what a user may do. admin ⊃ user ⊃ viewer.
    Role, "user_role", { Admin = "admin", User = "user", Viewer = "viewer" }
);
db_enum!(
    /// camera_status: the live service's state machine, offline -> connecting -> online
    /// -> degraded (below target fps) -> reconnecting / error, plus maintenance.
    CameraStatus, "camera_status", {
    Offline = "offline", Connecting = "connecting", Online = "online", Degraded = "degraded",
    Reconnecting = "reconnecting", Error = "error", Maintenance = "maintenance"
});
db_enum!(EventSeverity, "event_severity", {
    Low = "low", Medium = "medium", High = "high", Critical = "critical"
});
db_enum!(AlertSeverity, "alert_severity", {
    Low = "low", Medium = "medium", High = "high", Critical = "critical"
});
db_enum!(ErrorSeverity, "error_severity", {
    Low = "low", Medium = "medium", High = "high", Critical = "critical"
});
db_enum!(WorkerStatus, "worker_status", {
    Online = "online", Offline = "offline", Busy = "busy", Draining = "draining", Error = "error"
});

impl Role {
    /// Whether this role includes everything `other` may do.
    pub fn at_least(self, other: Role) -> bool {
        fn rank(r: Role) -> u8 {
            match r {
                Role::Viewer => 0,
                Role::User => 1,
                Role::Admin => 2,
            }
        }
        rank(self) >= rank(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.at_least(Role::User));
        assert!(Role::User.at_least(Role::Viewer));
        assert!(!Role::Viewer.at_least(Role::User));
        assert!(!Role::User.at_least(Role::Admin));
    }

    #[test]
    fn parse_round_trips_and_names_the_choices() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert_eq!(
            "root".parse::<Role>().unwrap_err(),
            "must be one of: admin, user, viewer"
        );
    }
}
