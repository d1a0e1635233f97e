"""The preprocessing lab's lecture cases. A lesson says what to look for in words; the numbers
are stated by the case's caption, from what the widget has drawn (whatever seed or cloud it was
drawn with), so that what the student reads is what the figure shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainlab.presets.case import Case

if TYPE_CHECKING:  # the presets load without torch or the digits
    from trainlab.compute.preprocess.conditioning import Descent
    from trainlab.compute.preprocess.digit_images import DigitImages
    from trainlab.compute.preprocess.point_cloud import CloudStages


def _matrix(c: Any) -> str:
    (a, b), (_, d) = c.tolist()
    return f"[[{a:.2f}, {b:.2f}], [{b:.2f}, {d:.2f}]]"


def stages_caption(cloud: CloudStages) -> str:
    raw, normalized, decorrelated = cloud["raw"], cloud["normalized"], cloud["decorrelated"]
    centred_mean = float(cloud["zero-centred"].mean.abs().max())
    l1, l2 = cloud.eigenvalues.tolist()
    off = float(decorrelated.covariance[0, 1].abs())
    white = cloud["whitened"].covariance
    white_error = float((white - white.new_tensor([[1.0, 0.0], [0.0, 1.0]])).abs().max())
    m = raw.mean.tolist()
    return (f"As drawn: the raw cloud's mean is ({m[0]:.2f}, {m[1]:.2f}), its covariance {_matrix(raw.covariance)}. "
            f"Zero-centred, the mean is under {max(centred_mean, 1e-16):.0e}. Normalized, both variances are 1 but the "
            f"correlation stays {normalized.correlation:.2f}. Decorrelated, the variances are the eigenvalues "
            f"{l1:.2f} and {l2:.2f}, the covariance off the diagonal {off:.0e}. Whitened, the covariance is the "
            f"identity to within {max(white_error, 1e-16):.0e}.")


def _reached(d: Descent) -> str:
    if d.converged_in is None:
        return f"not within {d.steps} steps"
    return f"in {d.converged_in} step{'' if d.converged_in == 1 else 's'}"


def conditioning_caption(descents: tuple[Descent, ...]) -> str:
    raw, normalized, whitened = descents
    return (f"As drawn: condition number {raw.condition:.3g} on raw inputs, {normalized.condition:.3g} after "
            f"normalizing, {whitened.condition:.3g} after whitening. Gradient descent (step 1/λmax, from w = 0) brings "
            f"the loss above its minimum under 1 % of where it started: on raw inputs {_reached(raw)}, normalized "
            f"{_reached(normalized)}, whitened {_reached(whitened)}.")


def images_caption(images: DigitImages) -> str:
    low, high = float(images.mean_image.min()), float(images.mean_image.max())
    return (f"As drawn: the mean of {images.training_images} training images has pixels from {low:.2f} to "
            f"{high:.2f}; the one channel's mean is {images.channel_mean:.2f} and its std {images.channel_std:.2f} "
            f"(pixel units, 0-16). Minus the mean image, example {images.index} (a {images.label}) keeps only where "
            f"it differs from the average digit.")


_CLOUD: dict[str, Any] = {"points": 300, "centre_x": 3.0, "centre_y": 2.0, "scale_x": 3.0, "scale_y": 0.5}

PREPROCESSING_PRESETS: dict[str, Case] = {
    p.label: p
    for p in (
        Case(
            "raw -> whitened: the four stages", _CLOUD | {"view": "cloud", "angle": 30.0},
            "Play the stages. Zero-centring moves the cloud onto the origin without changing its shape; normalizing "
            "gives each feature a variance of 1 but leaves the cloud tilted (its features stay correlated); PCA "
            "turns it onto its principal axes, so the covariance is diagonal; whitening scales those axes to 1, so "
            "the covariance is the identity.",
            stages_caption),
        Case(
            "ill-conditioned raw data vs normalized",
            _CLOUD | {"view": "contours", "angle": 0.0, "scale_y": 0.3, "steps": 50, "step": 1.0},
            "Features of very different scales, off the origin: the raw loss's contours are long thin ellipses, "
            "and gradient descent at its largest safe step moves fast across the valley and crawls along it. "
            "Normalized inputs of uncorrelated features give nearly round contours, and descent heads almost "
            "straight for the minimum.",
            conditioning_caption),
        Case(
            "correlated inputs: normalizing is not enough",
            _CLOUD | {"view": "contours", "angle": 30.0, "steps": 50, "step": 1.0},
            "The same cloud turned by 30°, so its features are correlated. Normalizing fixes the scales and the "
            "offset, and the condition number falls, but it stays far above 1: the contours stay tilted ellipses. "
            "Only whitening (decorrelate, then scale) makes them circles, where one step of 1/λ lands on the minimum.",
            conditioning_caption),
        Case(
            "the digits' mean image", {"view": "images", "example": 0},
            "The mean image is the average digit of the training split: a blurry ring, bright in the middle columns and 0 down the left and right edges. AlexNet "
            "subtracts it pixel by pixel; VGG subtracts one mean per colour channel (one number for these grey "
            "digits); ResNet also divides by the channel's std. The same training numbers are applied to test images.",
            images_caption),
    )
}
