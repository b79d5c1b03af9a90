"""The compiled inner loop: an exact inverse warp of the plate by the deformed mesh.

For every output pixel inside a deformed triangle the triangle's own affine map gives the exact
rest-photo position (barycentric coordinates carried back to the rest triangle), sampled
bilinearly.  Scanline spans are computed per row, so no pixel outside a triangle is visited and no
map is stored.  Mouth-hole triangles are painted as the inside of the mouth instead: the photo's
teeth hang from the upper lip (or drawn teeth), over a dark cavity with a tongue.

Compiled once by numba (``cache=True`` keeps the machine code between runs); ``nogil`` lets a
render thread run beside the event loop.
"""

from __future__ import annotations

import math

import numba
import numpy as np

KIND_MOUTH = 1

# Mouth attributes per vertex (columns of ``attr``).
A_T, A_GAP, A_REV_UP, A_REV_LOW, A_RUX, A_RUY, A_RLX, A_RLY, A_S = range(9)
N_ATTR = 9
# Mouth parameters (entries of ``par``).
P_PHOTO_TEETH = 0
P_CAVITY = 1  # rgb
P_TONGUE = 4  # rgb
P_GUM = 7  # rgb
P_TEETH = 10  # rgb, drawn teeth
P_SYN_UP, P_SYN_LOW = 13, 14  # drawn teeth heights, px
P_DOWNX, P_DOWNY = 15, 16  # the face's down axis in the plate
P_TONGUE_OUT = 17
P_MOUTH_W = 18
P_SPLIT = 19  # share of the photo's visible teeth that belong to the upper row
N_PAR = 20


@numba.njit(cache=True, nogil=True, inline="always")
def _sample(plate, x, y, c):
    h, w = plate.shape[0], plate.shape[1]
    if x < 0.0:
        x = 0.0
    if y < 0.0:
        y = 0.0
    if x > w - 1.001:
        x = w - 1.001
    if y > h - 1.001:
        y = h - 1.001
    ix = int(x)
    iy = int(y)
    fx = x - ix
    fy = y - iy
    top = plate[iy, ix, c] * (1.0 - fx) + plate[iy, ix + 1, c] * fx
    bot = plate[iy + 1, ix, c] * (1.0 - fx) + plate[iy + 1, ix + 1, c] * fx
    return top * (1.0 - fy) + bot * fy


@numba.njit(cache=True, nogil=True)
def _drawn_teeth(s, depth, height, par, c):
    """A procedural tooth colour at mouth position ``s`` (-1..1), ``depth`` px from the gum line.

    Soft seams between teeth (incisors widest, narrowing towards the corners), a shadow towards
    the corners and the gum, and a slightly translucent biting edge.
    """
    base = par[P_TEETH + c]
    a = abs(s)
    edges = (0.0, 0.21, 0.39, 0.54, 0.67, 0.79, 0.9)
    seam = 1.0
    for e in edges:
        d = (a - e) / 0.012
        seam = min(seam, 1.0 - 0.13 * math.exp(-d * d))
    side = 1.0 - 0.6 * a * a
    shade = 1.0
    if height > 0.0:
        r = min(1.0, max(0.0, depth / height))
        shade = (0.82 + 0.18 * min(1.0, r * 3.0)) * (1.0 - 0.15 * r * r * r)
    return base * seam * side * shade


@numba.njit(cache=True, nogil=True)
def _mouth_pixel(plate, par, x, y, t, gap, rev_up, rev_low, rux, ruy, rlx, rly, s, c):
    """Colour channel ``c`` of the mouth interior at a pixel with interpolated attributes."""
    s = max(-1.0, min(1.0, s))
    t = max(0.0, min(1.0, t))
    a = t * gap  # px below the upper lip
    b = (1.0 - t) * gap  # px above the lower lip
    dx = rlx - rux
    dy = rly - ruy
    band = math.sqrt(dx * dx + dy * dy)
    if band > 0.5:
        ux, uy = dx / band, dy / band
    else:
        ux, uy = par[P_DOWNX], par[P_DOWNY]
    photo = par[P_PHOTO_TEETH] > 0.5
    round_ = math.sqrt(max(0.0, 1.0 - s * s))
    if photo:
        up_h = par[P_SPLIT] * band
        low_h = (1.0 - par[P_SPLIT]) * band
    else:
        up_h = par[P_SYN_UP] * round_
        low_h = par[P_SYN_LOW] * round_

    # Cavity: dark red-brown, darkest at the corners and just under the upper teeth.
    shade = (0.5 + 0.5 * t) * (1.0 - 0.55 * s * s)
    col = par[P_CAVITY + c] * shade
    # Tongue: a dome resting behind the lower teeth, rising higher as the mouth opens.
    tongue_h = low_h + min(0.3 * gap, 0.16 * par[P_MOUTH_W]) + par[P_TONGUE_OUT] * 0.4 * gap
    reach = 0.8 + 0.15 * par[P_TONGUE_OUT]
    if abs(s) < reach and gap > 1.5:
        dome = tongue_h * math.sqrt(max(0.0, 1.0 - (s / reach) ** 2))
        if b < dome:
            k = b / dome  # 0 at the front (bottom), 1 at the back
            tone = 1.0 - 0.5 * k * k
            alpha = min(1.0, (dome - b) / 1.5)
            col = col * (1.0 - alpha) + par[P_TONGUE + c] * tone * (1.0 - 0.4 * s * s) * alpha
    # Lower teeth, fixed to the jaw: they rise from behind the lower lip.
    d_low = b - rev_low
    if d_low < low_h and low_h > 0.3:
        dd = max(d_low, 0.5)
        if photo:
            tooth = _sample(plate, rlx - ux * dd, rly - uy * dd, c) * 0.85
        else:
            tooth = _drawn_teeth(s, dd, low_h, par, c) * 0.78
        if d_low < -0.6 * low_h:
            g = min(1.0, (-d_low - 0.6 * low_h) / 2.0)
            tooth = tooth * (1.0 - g) + par[P_GUM + c] * g
        alpha = min(1.0, low_h - d_low)
        col = col * (1.0 - alpha) + tooth * alpha
    # Upper teeth, fixed to the head: they hang from behind the upper lip.  Above the band the
    # photo shows (a lifted lip) they continue upwards, then meet the gum.
    d_up = a - rev_up
    if d_up < up_h and up_h > 0.3:
        dd = max(d_up, 0.5)
        tooth = _sample(plate, rux + ux * dd, ruy + uy * dd, c) if photo else _drawn_teeth(s, dd, up_h, par, c)
        if d_up < -0.6 * up_h:
            g = min(1.0, (-d_up - 0.6 * up_h) / 2.5)
            tooth = tooth * (1.0 - g) + par[P_GUM + c] * g
        alpha = min(1.0, up_h - d_up)
        col = col * (1.0 - alpha) + tooth * alpha
    # A tongue put forward (th, l, tongueOut) shows its tip in front of the teeth.
    tip = par[P_TONGUE_OUT]
    if tip > 0.05 and gap > 1.0:
        tip_h = gap * min(0.85, 0.9 * tip)  # how far up from the lower lip it reaches
        across = 0.55 + 0.15 * tip
        if abs(s) < across:
            dome = tip_h * math.sqrt(max(0.0, 1.0 - (s / across) ** 2))
            if b < dome:
                k = b / max(dome, 1e-6)
                alpha = min(1.0, (dome - b) / 1.2) * min(1.0, tip * 4.0)
                tone = 1.05 - 0.3 * k * k
                col = col * (1.0 - alpha) + min(255.0, par[P_TONGUE + c] * tone) * alpha
    return col


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _put_bilinear(out, plate, y, x, sx, sy):
    """Write the plate's bilinear sample at (sx, sy) into out[y, x] (all three channels)."""
    h, w = plate.shape[0], plate.shape[1]
    if sx < 0.0:
        sx = 0.0
    elif sx > w - 1.001:
        sx = w - 1.001
    if sy < 0.0:
        sy = 0.0
    elif sy > h - 1.001:
        sy = h - 1.001
    ix = int(sx)
    iy = int(sy)
    fx = sx - ix
    fy = sy - iy
    w00 = (1.0 - fx) * (1.0 - fy)
    w01 = fx * (1.0 - fy)
    w10 = (1.0 - fx) * fy
    w11 = fx * fy
    for c in range(3):
        v = (
            plate[iy, ix, c] * w00
            + plate[iy, ix + 1, c] * w01
            + plate[iy + 1, ix, c] * w10
            + plate[iy + 1, ix + 1, c] * w11
            + 0.5
        )
        out[y, x, c] = np.uint8(min(255.0, v))


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _span_fixed(out, plate, y, xs, xe, sx, sy, dx, dy):
    """One row span of bilinear samples along a line in the plate, in 8-bit fixed point (the
    caller guarantees every sample lies inside the plate)."""
    for x in range(xs, xe + 1):
        ix = int(sx)
        iy = int(sy)
        fx = int((sx - ix) * 256.0)
        fy = int((sy - iy) * 256.0)
        w00 = (256 - fx) * (256 - fy)
        w01 = fx * (256 - fy)
        w10 = (256 - fx) * fy
        w11 = fx * fy
        for c in range(3):
            v = (
                np.int32(plate[iy, ix, c]) * w00
                + np.int32(plate[iy, ix + 1, c]) * w01
                + np.int32(plate[iy + 1, ix, c]) * w10
                + np.int32(plate[iy + 1, ix + 1, c]) * w11
                + 32768
            ) >> 16
            out[y, x, c] = np.uint8(v)
        sx += dx
        sy += dy


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def warp(out, plate, dst, src, tris, kinds, attr, par, x_lo, y_lo, x_hi, y_hi):
    """Draw every triangle of ``tris`` into ``out`` (H x W x 3 uint8), sampling ``plate``.

    ``dst`` are the deformed vertices, ``src`` the rest vertices (both (V, 2), output pixels);
    only pixels with x_lo <= x < x_hi and y_lo <= y < y_hi are written.
    """
    eps = 1e-5
    ph, pw = plate.shape[0], plate.shape[1]
    at = np.empty(N_ATTR)
    for k in range(tris.shape[0]):
        i0, i1, i2 = tris[k, 0], tris[k, 1], tris[k, 2]
        mouth = kinds[k] == KIND_MOUTH
        x0, y0 = dst[i0, 0], dst[i0, 1]
        x1, y1 = dst[i1, 0], dst[i1, 1]
        x2, y2 = dst[i2, 0], dst[i2, 1]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if mouth and area < 0.0:
            # A sideways jaw shears the mouth opening's strip: draw it whichever way it faces.
            i1, i2 = i2, i1
            x1, y1, x2, y2 = x2, y2, x1, y1
            area = -area
        if area <= 1e-9:
            continue  # collapsed (a closed mouth or eye) or inverted
        inv = 1.0 / area
        # Barycentric weights b1, b2 as affine functions of (x, y): b = bx * x + by * y + bc.
        b1x, b1y = (y2 - y0) * inv, -(x2 - x0) * inv
        b1c = -(x0 * b1x + y0 * b1y)
        b2x, b2y = -(y1 - y0) * inv, (x1 - x0) * inv
        b2c = -(x0 * b2x + y0 * b2y)
        b0x, b0y, b0c = -b1x - b2x, -b1y - b2y, 1.0 - b1c - b2c
        sx0, sy0 = src[i0, 0], src[i0, 1]
        dsx1, dsy1 = src[i1, 0] - sx0, src[i1, 1] - sy0
        dsx2, dsy2 = src[i2, 0] - sx0, src[i2, 1] - sy0
        # The rest position is affine in (x, y) too: s = s0 + b1 * (s1 - s0) + b2 * (s2 - s0).
        ax = b1x * dsx1 + b2x * dsx2
        ay = b1y * dsx1 + b2y * dsx2
        ac = sx0 + b1c * dsx1 + b2c * dsx2
        cx = b1x * dsy1 + b2x * dsy2
        cy = b1y * dsy1 + b2y * dsy2
        cc = sy0 + b1c * dsy1 + b2c * dsy2
        ymin = max(y_lo, math.ceil(min(y0, y1, y2) - 1e-6))
        ymax = min(y_hi - 1, math.floor(max(y0, y1, y2) + 1e-6))
        gx_lo = max(x_lo, math.ceil(min(x0, x1, x2) - 1e-6))
        gx_hi = min(x_hi - 1, math.floor(max(x0, x1, x2) + 1e-6))
        for y in range(ymin, ymax + 1):
            # The span of x where all three weights are >= -eps.
            lo = float(gx_lo)
            hi = float(gx_hi)
            for j in range(3):
                if j == 0:
                    bx, rest = b0x, b0y * y + b0c + eps
                elif j == 1:
                    bx, rest = b1x, b1y * y + b1c + eps
                else:
                    bx, rest = b2x, b2y * y + b2c + eps
                if bx > 1e-12:
                    lo = max(lo, -rest / bx)
                elif bx < -1e-12:
                    hi = min(hi, -rest / bx)
                elif rest < 0.0:
                    hi = lo - 1.0
            xs = math.ceil(lo - 1e-9)
            xe = math.floor(hi + 1e-9)
            if not mouth:
                if xe < xs:
                    continue
                sx = ax * xs + ay * y + ac
                sy = cx * xs + cy * y + cc
                ex = sx + ax * (xe - xs)
                ey = sy + cx * (xe - xs)
                # The rest position is linear along the span: if both ends are inside the plate,
                # every pixel is, and the fixed-point loop needs no clamping.
                if min(sx, ex) >= 0.0 and min(sy, ey) >= 0.0 and max(sx, ex) < pw - 1.001 and max(sy, ey) < ph - 1.001:
                    _span_fixed(out, plate, y, xs, xe, sx, sy, ax, cx)
                else:
                    for x in range(xs, xe + 1):
                        _put_bilinear(out, plate, y, x, sx, sy)
                        sx += ax
                        sy += cx
                continue
            for x in range(xs, xe + 1):
                b1 = b1x * x + b1y * y + b1c
                b2 = b2x * x + b2y * y + b2c
                b0 = 1.0 - b1 - b2
                sx = ax * x + ay * y + ac
                sy = cx * x + cy * y + cc
                for j in range(N_ATTR):
                    at[j] = b0 * attr[i0, j] + b1 * attr[i1, j] + b2 * attr[i2, j]
                edge = min(1.0, at[A_T] * at[A_GAP], (1.0 - at[A_T]) * at[A_GAP])
                edge = max(0.0, edge)
                for c in range(3):
                    inside = _mouth_pixel(
                        plate,
                        par,
                        x,
                        y,
                        at[A_T],
                        at[A_GAP],
                        at[A_REV_UP],
                        at[A_REV_LOW],
                        at[A_RUX],
                        at[A_RUY],
                        at[A_RLX],
                        at[A_RLY],
                        at[A_S],
                        c,
                    )
                    lip = _sample(plate, sx, sy, c)
                    v = lip * (1.0 - edge) + inside * edge + 0.5
                    out[y, x, c] = min(255, max(0, int(v)))
