//! Row-major f32 matrix products through the `gemm` crate (the kernels burn's `flex`
//! backend calls too), with transposes as strides, so no operand is ever copied.

use gemm::Parallelism;

/// A row-major matrix `rows × cols` as stored, used as is or transposed.
#[derive(Debug, Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> Mat<'a> {
    /// The first `rows × cols` values of `data`, row-major.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            data.len() >= rows * cols,
            "{rows}×{cols} matrix from {} values",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The same matrix, used transposed.
    pub fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ..self
        }
    }

    /// (rows, cols) of the operand as used.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// (row stride, column stride) of the operand as used.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `out = a · b`, or `out += a · b` with `accumulate`; `out` is row-major
/// `a.rows × b.cols` (as used). Called from outside rayon's pool, splits the product
/// over the pool's threads when it has more than one; called from a pool thread (work
/// already split, e.g. one twin network per thread), runs on that thread alone. Each
/// output element is summed in the same order either way, so the result does not
/// depend on the thread count.
pub fn matmul(out: &mut [f32], a: Mat<'_>, b: Mat<'_>, accumulate: bool) {
    let split = rayon::current_num_threads() > 1 && rayon::current_thread_index().is_none();
    product(out, a, b, accumulate, split);
}

/// [`matmul`], split over the current rayon pool's threads or not.
fn product(out: &mut [f32], a: Mat<'_>, b: Mat<'_>, accumulate: bool, split: bool) {
    let ((m, k), (k2, n)) = (a.shape(), b.shape());
    assert_eq!(k, k2, "inner dimensions {k} and {k2}");
    assert!(
        out.len() >= m * n,
        "{m}×{n} product into {} values",
        out.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out[..m * n].fill(0.0);
        }
        return;
    }
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    let parallelism = if split {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    // SAFETY: the asserts above keep every index the strides reach inside `out`, `a` and
    // `b` (row-major, `m × n`, `rows × cols`); `out` is borrowed mutably, so it aliases
    // neither operand. gemm computes dst := alpha·dst + beta·lhs·rhs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut t = vec![0.0; x.len()];
        for r in 0..rows {
            for c in 0..cols {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        t
    }

    #[test]
    fn products_and_transposes_match_the_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        let close = |got: &[f32]| {
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
            }
        };
        let mut c = vec![9.0; m * n];
        matmul(&mut c, Mat::new(&a, m, k), Mat::new(&b, k, n), false);
        close(&c);
        // a stored transposed (k × m) and used as its transpose.
        let at = transpose(&a, m, k);
        let bt = transpose(&b, k, n);
        let mut c = vec![0.0; m * n];
        matmul(
            &mut c,
            Mat::new(&at, k, m).t(),
            Mat::new(&bt, n, k).t(),
            false,
        );
        close(&c);
        // Accumulating adds onto what is there.
        let mut c = want.clone();
        matmul(&mut c, Mat::new(&a, m, k), Mat::new(&b, k, n), true);
        for (g, w) in c.iter().zip(&want) {
            assert!((g - 2.0 * w).abs() < 1e-5);
        }
    }

    #[test]
    fn thread_count_does_not_change_a_single_bit() {
        let (m, k, n) = (256, 256, 256);
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 104_729) % 997) as f32 / 498.0 - 1.0)
            .collect();
        let run = |threads: usize, split: bool| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                let mut c = vec![0.0; m * n];
                product(
                    &mut c,
                    Mat::new(&a, m, k),
                    Mat::new(&b, k, n).t(),
                    false,
                    split,
                );
                c
            })
        };
        let one = run(1, false);
        assert_eq!(one, run(2, true));
        assert_eq!(one, run(3, true));
    }
}
