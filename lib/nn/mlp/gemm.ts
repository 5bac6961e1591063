/**
 * The loops behind the typed-array MLP trainer (./trainer.ts): one strided matrix product on
 * Float32Arrays that sums in JS numbers (float64), and the element-wise passes around it.
 *
 *   C[m, n] = Σ_k A[aOff + m·am + k·ak] · B[k·bk + n·bn]           C row-major [M, N]
 *
 * The strides let one kernel serve the three products of a dense layer without transposing
 * anything (W is [in, out] row-major, as tfjs and the checkpoints hold it):
 *
 *   forward         Z  = H·W          A = H  (am = in, ak = 1)      B = W  (bk = out, bn = 1)
 *   input gradient  dH = dZ·Wᵀ        A = dZ (am = out, ak = 1)     B = W  (bk = 1, bn = out)
 *   weight gradient dW = Hᵀ·dZ        A = H  (am = 1, ak = in)      B = dZ (bk = out, bn = 1)
 *
 * It works on 2×4 blocks of C: eight accumulators that stay in registers, a pair of A values and
 * a quadruple of B values loaded once per k for eight multiply-adds (fast-forward's denseLayer
 * does the same with 4 rows × 1 output). Measured on 64×64×64 (V8, Node 20): ~2.5 GMAC/s, as fast
 * as 4×1, 4×2 or 4×4 blocks and ~25% faster than the same loop with the bias, activation or
 * accumulation fused into its stores — so those are separate passes below, and the remainders
 * (the last row of an odd M, the columns past a multiple of 4) small functions of their own.
 */

export function gemm(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number, am: number, ak: number,
  B: Float32Array, bk: number, bn: number,
  C: Float32Array,
): void {
  const M2 = M & ~1, N4 = N & ~3;
  if (M2 > 0 && N4 > 0) blocks2x4(M2, N4, N, K, A, aOff, am, ak, B, bk, bn, C);
  if (N4 < N) singles(0, M, N4, N, N, K, A, aOff, am, ak, B, bk, bn, C);
  if (M2 < M && N4 > 0) lastRow1x4(M2, N4, N, K, A, aOff, am, ak, B, bk, bn, C);
}

/** Row m of C (the odd one out, or the only one when acting on one observation), 4 columns at a time. */
function lastRow1x4(
  m: number, N4: number, N: number, K: number,
  A: Float32Array, aOff: number, am: number, ak: number,
  B: Float32Array, bk: number, bn: number,
  C: Float32Array,
): void {
  const bn2 = 2 * bn, bn3 = 3 * bn;
  const a0 = aOff + m * am, c0 = m * N;
  for (let n = 0; n < N4; n += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let pa = a0, pb = n * bn;
    for (let k = 0; k < K; k++) {
      const x = A[pa];
      s0 += x * B[pb]; s1 += x * B[pb + bn]; s2 += x * B[pb + bn2]; s3 += x * B[pb + bn3];
      pa += ak; pb += bk;
    }
    C[c0 + n] = s0; C[c0 + n + 1] = s1; C[c0 + n + 2] = s2; C[c0 + n + 3] = s3;
  }
}

function blocks2x4(
  M2: number, N4: number, N: number, K: number,
  A: Float32Array, aOff: number, am: number, ak: number,
  B: Float32Array, bk: number, bn: number,
  C: Float32Array,
): void {
  const bn2 = 2 * bn, bn3 = 3 * bn;
  for (let m = 0; m < M2; m += 2) {
    const a0 = aOff + m * am, a1 = a0 + am;
    const c0 = m * N, c1 = c0 + N;
    for (let n = 0; n < N4; n += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let pa0 = a0, pa1 = a1, pb = n * bn;
      for (let k = 0; k < K; k++) {
        const x0 = A[pa0], x1 = A[pa1];
        const w0 = B[pb], w1 = B[pb + bn], w2 = B[pb + bn2], w3 = B[pb + bn3];
        s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
        s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        pa0 += ak; pa1 += ak; pb += bk;
      }
      C[c0 + n] = s00; C[c0 + n + 1] = s01; C[c0 + n + 2] = s02; C[c0 + n + 3] = s03;
      C[c1 + n] = s10; C[c1 + n + 1] = s11; C[c1 + n + 2] = s12; C[c1 + n + 3] = s13;
    }
  }
}

/** C[m, n] for m in [m0, m1), n in [n0, n1), one at a time (the edges the 2×4 blocks leave). */
function singles(
  m0: number, m1: number, n0: number, n1: number, N: number, K: number,
  A: Float32Array, aOff: number, am: number, ak: number,
  B: Float32Array, bk: number, bn: number,
  C: Float32Array,
): void {
  for (let m = m0; m < m1; m++) {
    const a0 = aOff + m * am, c0 = m * N;
    for (let n = n0; n < n1; n++) {
      let s = 0, pa = a0, pb = n * bn;
      for (let k = 0; k < K; k++) {
        s += A[pa] * B[pb];
        pa += ak; pb += bk;
      }
      C[c0 + n] = s;
    }
  }
}

/** Hidden-layer activation codes for `addBiasActivate`. */
export const LINEAR = 0, TANH = 1, RELU = 2;

/** C[r, j] ← act(C[r, j] + bias[j]) over `rows` rows of width `n`; act: LINEAR, TANH or RELU. */
export function addBiasActivate(C: Float32Array, rows: number, n: number, bias: Float32Array, act: number): void {
  if (act === TANH) {
    for (let r = 0, o = 0; r < rows; r++, o += n) for (let j = 0; j < n; j++) C[o + j] = tanh(C[o + j] + bias[j]);
  } else if (act === RELU) {
    for (let r = 0, o = 0; r < rows; r++, o += n) {
      for (let j = 0; j < n; j++) {
        const z = C[o + j] + bias[j];
        C[o + j] = z > 0 ? z : 0;
      }
    }
  } else {
    for (let r = 0, o = 0; r < rows; r++, o += n) for (let j = 0; j < n; j++) C[o + j] += bias[j];
  }
}

/**
 * Backprop through the activation, in place: dH[i] ← dH[i]·(1 − Y[i]²) for tanh, dH[i] ← Y[i] > 0 ? dH[i] : 0
 * for relu, Y being the activation's output. relu′(0) = 0 (tfjs's and PyTorch's choice): a unit
 * whose pre-activation is exactly 0 outputs 0 and passes no gradient.
 */
export function activationGrad(dH: Float32Array, Y: Float32Array, len: number, act: number): void {
  if (act === TANH) {
    for (let i = 0; i < len; i++) {
      const y = Y[i];
      dH[i] = dH[i] * (1 - y * y);
    }
  } else if (act === RELU) {
    for (let i = 0; i < len; i++) if (!(Y[i] > 0)) dH[i] = 0;
  }
}

/** db[j] = Σ_r g[r, j] (+ db[j] with `add`), summed in float64. */
export function columnSums(g: Float32Array, rows: number, n: number, db: Float32Array, add: boolean): void {
  for (let j = 0; j < n; j++) {
    let s = add ? db[j] : 0;
    for (let r = 0, p = j; r < rows; r++, p += n) s += g[p];
    db[j] = s;
  }
}

/**
 * tanh as a rational function, odd numerator of degree 13 over even denominator of degree 6 on
 * [−9, 9] (the float32 approximation of Eigen and XLA, here evaluated in float64): at most ~3e-8
 * from Math.tanh, below float32's resolution near ±1 (6e-8), and 2–3× faster than Math.tanh here.
 * Clamped outside ±9, where float32 tanh is ±1 anyway.
 */
export function tanh(x: number): number {
  if (x > 9) x = 9;
  else if (x < -9) x = -9;
  else if (!(x === x)) return x; // NaN stays NaN
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (x * p) / q;
}
