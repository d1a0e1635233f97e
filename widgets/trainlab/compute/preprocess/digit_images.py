"""Image preprocessing as the lectures give it, on the digits' training split (sklearn's 8x8
images, pixels 0 to 16, one channel): subtract the mean image (AlexNet), subtract the per-channel
mean (VGG: one number per colour channel; the digits have one channel, so one number over every
pixel of every training image), or subtract the per-channel mean and divide by the per-channel
std (ResNet). Every statistic is the training split's (train/datasets.py's split), and the
same numbers would be applied to a test image."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from trainlab.compute.checks import SEED_RANGE, whole_in
from trainlab.compute.train.datasets import DataSpec, load

Tensor = torch.Tensor
SIDE = 8
PIXEL_RANGE = (0.0, 16.0)
EXAMPLE_RANGE = (0, DataSpec().split_sizes()[0] - 1)  # an image of the training split


@dataclass(frozen=True, eq=False)
class DigitImages:
    """The training split's statistics and one of its images, raw and preprocessed ((8, 8) each,
    float64, in pixel units)."""

    index: int
    label: int
    example: Tensor  # the raw image
    mean_image: Tensor  # every pixel's mean over the training images
    channel_mean: float  # the mean of every pixel of every training image
    channel_std: float  # their (population) std
    training_images: int

    @property
    def minus_mean_image(self) -> Tensor:
        """AlexNet: the image minus the mean image."""
        return self.example - self.mean_image

    @property
    def minus_channel_mean(self) -> Tensor:
        """VGG: the image minus the per-channel mean (one number here)."""
        return self.example - self.channel_mean

    @property
    def channel_standardized(self) -> Tensor:
        """ResNet: (image - per-channel mean) / per-channel std."""
        return (self.example - self.channel_mean) / self.channel_std


def digit_images(example: int = 0, seed: int = 0) -> DigitImages:
    """The statistics of the digits' training split (split by `seed`, as the trainer splits it)
    and its image number `example`."""
    whole_in("example", example, EXAMPLE_RANGE)
    whole_in("seed", seed, SEED_RANGE)
    data = load(DataSpec("digits", preprocessing="none", seed=seed))
    x = data.x_train_raw.to(torch.float64)
    return DigitImages(index=example, label=int(data.y_train[example]), example=x[example].reshape(SIDE, SIDE),
                       mean_image=x.mean(0).reshape(SIDE, SIDE), channel_mean=float(x.mean()),
                       channel_std=float(x.std(correction=0)), training_images=x.shape[0])
