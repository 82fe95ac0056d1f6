//! Constant-velocity Kalman filter over box state, as in ByteTrack / DeepSORT.
//!
//! State (8): centre x, centre y, aspect ratio w/h, height, and their velocities, all in
//! pixels (aspect unitless). Velocities are per *step*, where one step is one frame at the
//! tracker's nominal frame rate; `dt` (in steps) lets the filter jump over frames the motion
//! gate skipped. With `dt == 1` the filter is numerically the ByteTrack one.

// Index loops read like the matrix algebra they implement.
#![allow(clippy::needless_range_loop)]

/// Process and measurement noise scale with box height: 1/20 of the height for position,
/// 1/160 for velocity (ByteTrack's `_std_weight_position` / `_std_weight_velocity`).
const STD_WEIGHT_POSITION: f64 = 1.0 / 20.0;
const STD_WEIGHT_VELOCITY: f64 = 1.0 / 160.0;

pub type Vec4 = [f64; 4];
pub type Vec8 = [f64; 8];
pub type Mat8 = [[f64; 8]; 8];
type Mat4 = [[f64; 4]; 4];

/// Mean and covariance of one track's state.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KalmanState {
    pub mean: Vec8,
    pub covariance: Mat8,
}

impl KalmanState {
    /// A new track from its first measurement `[cx, cy, aspect, height]`, velocity unknown.
    pub fn initiate(measurement: Vec4) -> Self {
        let h = measurement[3];
        let std = [
            2.0 * STD_WEIGHT_POSITION * h,
            2.0 * STD_WEIGHT_POSITION * h,
            1e-2,
            2.0 * STD_WEIGHT_POSITION * h,
            10.0 * STD_WEIGHT_VELOCITY * h,
            10.0 * STD_WEIGHT_VELOCITY * h,
            1e-5,
            10.0 * STD_WEIGHT_VELOCITY * h,
        ];
        let mut mean = [0.0; 8];
        mean[..4].copy_from_slice(&measurement);
        let mut covariance = [[0.0; 8]; 8];
        for i in 0..8 {
            covariance[i][i] = std[i] * std[i];
        }
        KalmanState { mean, covariance }
    }

    /// Advances the state by `dt` steps (1.0 = one frame at the nominal rate).
    /// Process noise grows linearly with `dt`, as a random walk's variance does.
    pub fn predict(&mut self, dt: f64) {
        let h = self.mean[3];
        let std = [
            STD_WEIGHT_POSITION * h,
            STD_WEIGHT_POSITION * h,
            1e-2,
            STD_WEIGHT_POSITION * h,
            STD_WEIGHT_VELOCITY * h,
            STD_WEIGHT_VELOCITY * h,
            1e-5,
            STD_WEIGHT_VELOCITY * h,
        ];
        // mean = F mean, with F = I + dt on the position/velocity off-diagonal.
        for i in 0..4 {
            self.mean[i] += dt * self.mean[i + 4];
        }
        // P = F P F^T + Q, expanded for the block form of F to avoid 8x8 products.
        let p = self.covariance;
        let mut fp = p;
        for i in 0..4 {
            for j in 0..8 {
                fp[i][j] = p[i][j] + dt * p[i + 4][j];
            }
        }
        let mut out = fp;
        for i in 0..8 {
            for j in 0..4 {
                out[i][j] = fp[i][j] + dt * fp[i][j + 4];
            }
        }
        for i in 0..8 {
            out[i][i] += std[i] * std[i] * dt;
        }
        self.covariance = out;
    }

    /// Projects the state into measurement space: mean and innovation covariance S.
    fn project(&self) -> (Vec4, Mat4) {
        let h = self.mean[3];
        let std = [
            STD_WEIGHT_POSITION * h,
            STD_WEIGHT_POSITION * h,
            1e-1,
            STD_WEIGHT_POSITION * h,
        ];
        let mut mean = [0.0; 4];
        mean.copy_from_slice(&self.mean[..4]);
        let mut s = [[0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                s[i][j] = self.covariance[i][j];
            }
            s[i][i] += std[i] * std[i];
        }
        (mean, s)
    }

    /// Corrects the state with a measurement `[cx, cy, aspect, height]`.
    pub fn update(&mut self, measurement: Vec4) {
        let (projected, s) = self.project();
        let Some(chol) = cholesky(&s) else {
            // S is a covariance plus a positive diagonal, so this cannot happen with finite
            // inputs; a NaN measurement would get here. Keep the prediction rather than
            // poisoning the state.
            return;
        };
        // K = P H^T S^-1; P H^T is the first four columns of P. Solve S K^T = (P H^T)^T.
        let mut gain = [[0.0; 4]; 8];
        for (i, row) in gain.iter_mut().enumerate() {
            let b = [
                self.covariance[i][0],
                self.covariance[i][1],
                self.covariance[i][2],
                self.covariance[i][3],
            ];
            *row = cholesky_solve(&chol, b);
        }
        let innovation: Vec4 = std::array::from_fn(|k| measurement[k] - projected[k]);
        for (i, row) in gain.iter().enumerate() {
            self.mean[i] += (0..4).map(|k| row[k] * innovation[k]).sum::<f64>();
        }
        // P -= K S K^T, which equals K (H P) since K S = P H^T.
        let p = self.covariance;
        for i in 0..8 {
            for j in 0..8 {
                let delta: f64 = (0..4).map(|k| gain[i][k] * p[k][j]).sum();
                self.covariance[i][j] = p[i][j] - delta;
            }
        }
    }

    /// Current box as `[cx, cy, aspect, height]`.
    pub fn measurement(&self) -> Vec4 {
        [self.mean[0], self.mean[1], self.mean[2], self.mean[3]]
    }
}

/// Lower-triangular Cholesky factor of a symmetric positive-definite 4x4 matrix.
fn cholesky(a: &Mat4) -> Option<Mat4> {
    let mut l = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - sum;
                if d.is_nan() || d <= 0.0 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - sum) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves `L L^T x = b`.
fn cholesky_solve(l: &Mat4, b: Vec4) -> Vec4 {
    let mut y = [0.0; 4];
    for i in 0..4 {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = [0.0; 4];
    for i in (0..4).rev() {
        x[i] = (y[i] - ((i + 1)..4).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiate_sets_position_and_zero_velocity() {
        let s = KalmanState::initiate([100.0, 50.0, 0.5, 80.0]);
        assert_eq!(s.mean, [100.0, 50.0, 0.5, 80.0, 0.0, 0.0, 0.0, 0.0]);
        // 2 * 1/20 * 80 = 8 px standard deviation on position.
        assert!((s.covariance[0][0] - 64.0).abs() < 1e-9);
        assert!(
            (s.covariance[4][4] - 25.0).abs() < 1e-9,
            "10 * 1/160 * 80 = 5 px/step"
        );
    }

    #[test]
    fn predict_moves_by_velocity_times_dt_and_grows_uncertainty() {
        let mut s = KalmanState::initiate([100.0, 50.0, 0.5, 80.0]);
        s.mean[4] = 3.0;
        s.mean[5] = -1.0;
        let before = s.covariance[0][0];
        s.predict(1.0);
        assert_eq!(s.mean[0], 103.0);
        assert_eq!(s.mean[1], 49.0);
        assert!(s.covariance[0][0] > before);
        // Covariance stays symmetric.
        for i in 0..8 {
            for j in 0..8 {
                assert!((s.covariance[i][j] - s.covariance[j][i]).abs() < 1e-9);
            }
        }
        let mut t = KalmanState::initiate([100.0, 50.0, 0.5, 80.0]);
        t.mean[4] = 3.0;
        t.predict(2.5);
        assert_eq!(t.mean[0], 107.5);
    }

    #[test]
    fn update_pulls_state_towards_measurement() {
        let mut s = KalmanState::initiate([100.0, 50.0, 0.5, 80.0]);
        s.predict(1.0);
        let var_before = s.covariance[0][0];
        s.update([110.0, 50.0, 0.5, 80.0]);
        assert!(
            s.mean[0] > 100.0 && s.mean[0] < 110.0,
            "between prediction and measurement: {}",
            s.mean[0]
        );
        assert!(s.mean[4] > 0.0, "velocity learns the motion");
        assert!(
            s.covariance[0][0] < var_before,
            "measurement reduces uncertainty"
        );
    }

    #[test]
    fn constant_velocity_is_learned() {
        let mut s = KalmanState::initiate([0.0, 0.0, 0.5, 100.0]);
        for step in 1..=30 {
            s.predict(1.0);
            s.update([5.0 * step as f64, 0.0, 0.5, 100.0]);
        }
        assert!((s.mean[4] - 5.0).abs() < 0.2, "velocity {}", s.mean[4]);
        s.predict(1.0);
        assert!((s.mean[0] - 155.0).abs() < 1.0, "prediction {}", s.mean[0]);
    }

    #[test]
    fn matches_bytetrack_reference_numbers() {
        // Reference computed with ByteTrack's numpy KalmanFilter (initiate, predict,
        // update [105, 52, 0.5, 82]) for measurement [100, 50, 0.5, 80].
        let mut s = KalmanState::initiate([100.0, 50.0, 0.5, 80.0]);
        s.predict(1.0);
        s.update([105.0, 52.0, 0.5, 82.0]);
        // P0 pos var = 64, vel var = 25; after predict: pos = 64 + 25 + 16 = 105, S = 105 + 16 = 121.
        // gain pos = 105/121, so x = 100 + 5 * 105/121.
        assert!(
            (s.mean[0] - (100.0 + 5.0 * 105.0 / 121.0)).abs() < 1e-9,
            "{}",
            s.mean[0]
        );
        // cross-cov pos/vel after predict = 25, gain vel = 25/121.
        assert!((s.mean[4] - 5.0 * 25.0 / 121.0).abs() < 1e-9);
    }
}
