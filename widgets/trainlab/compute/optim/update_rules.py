"""The update rules as the lecture writes them, one small class each, with state you can read.

These are the teaching versions: the optimizer lab shows their state (velocity, accumulators,
moments) and the tests check that each one follows torch.optim's trajectory to 1e-6. Adam
without bias correction exists only here, since torch.optim has no switch for it.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor


class UpdateRule:
    """step(x, g) returns the next x; `state` holds the named buffers after the last step."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.state: dict[str, Tensor] = {}
        self.t = 0

    def step(self, x: Tensor, g: Tensor) -> Tensor:
        self.t += 1
        return self._step(x, g)

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        raise NotImplementedError


class PlainSGD(UpdateRule):
    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        return x - self.lr * g


class Momentum(UpdateRule):
    """v = rho v + g; x -= lr v (Sutskever et al. 2013)."""

    def __init__(self, lr: float, rho: float = 0.9) -> None:
        super().__init__(lr)
        self.rho = rho

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        v = self.state.get("velocity")
        v = g.clone() if v is None else self.rho * v + g
        self.state["velocity"] = v
        return x - self.lr * v


class Nesterov(UpdateRule):
    """With x the look-ahead point: v' = rho v - lr g(x); x += -rho v + (1 + rho) v'."""

    def __init__(self, lr: float, rho: float = 0.9) -> None:
        super().__init__(lr)
        self.rho = rho

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        v = self.state.get("velocity", torch.zeros_like(x))
        v_new = self.rho * v - self.lr * g
        self.state["velocity"] = v_new
        return x - self.rho * v + (1 + self.rho) * v_new


class AdaGrad(UpdateRule):
    """r += g*g; x -= lr g / (sqrt(r) + eps) (Duchi et al. 2011): steps shrink for ever."""

    def __init__(self, lr: float, eps: float = 1e-10) -> None:
        super().__init__(lr)
        self.eps = eps

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        r = self.state.get("grad_squared", torch.zeros_like(x)) + g * g
        self.state["grad_squared"] = r
        return x - self.lr * g / (r.sqrt() + self.eps)


class RMSProp(UpdateRule):
    """r = decay r + (1 - decay) g*g; x -= lr g / (sqrt(r) + eps) (Tieleman & Hinton 2012)."""

    def __init__(self, lr: float, decay: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.decay, self.eps = decay, eps

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        r = self.decay * self.state.get("grad_squared", torch.zeros_like(x)) + (1 - self.decay) * g * g
        self.state["grad_squared"] = r
        return x - self.lr * g / (r.sqrt() + self.eps)


class Adam(UpdateRule):
    """m, v moving averages of g and g*g; with bias correction m/(1 - b1^t), v/(1 - b2^t)
    (Kingma & Ba 2015). Without it the first steps are sized by moments still biased to 0."""

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 bias_correction: bool = True) -> None:
        super().__init__(lr)
        self.b1, self.b2 = betas
        self.eps = eps
        self.bias_correction = bias_correction

    def _step(self, x: Tensor, g: Tensor) -> Tensor:
        m = self.b1 * self.state.get("first_moment", torch.zeros_like(x)) + (1 - self.b1) * g
        v = self.b2 * self.state.get("second_moment", torch.zeros_like(x)) + (1 - self.b2) * g * g
        self.state["first_moment"], self.state["second_moment"] = m, v
        if self.bias_correction:
            m = m / (1 - self.b1**self.t)
            v = v / (1 - self.b2**self.t)
            self.state["first_moment_hat"], self.state["second_moment_hat"] = m, v
        return x - self.lr * m / (v.sqrt() + self.eps)
