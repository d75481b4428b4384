#!/usr/bin/env python3
"""Golden values for Lore's optimizers, learning-rate schedules and gradient clipping.

Prints Swift literals that are pasted into Tests/AutogradTests/OptimizerTests.swift,
ScheduleTests.swift and ClippingTests.swift (each block names this script).

Set-up (torch CPU wheel shipped with the machine image; no network needed for torch):

    python3 -m venv /tmp/torch-venv
    /tmp/torch-venv/bin/pip install /opt/wheels/torch-*.whl numpy
    /tmp/torch-venv/bin/python Scripts/reference_optimizers.py

The fixed problem, reproduced by the Swift tests without running a model:

  - two parameters, "weight" of shape [3, 4] with weight[i] = sin(i) (flat index i) and
    "bias" of shape [4] with bias[j] = 0.5 cos(j);
  - at step s = 1, 2, ... the gradients are
        weight.grad[i] = 0.1 cos(0.37 (i + 1) s)
        bias.grad[j]   = 0.05 cos(0.11 (j + 1) s + 1)   (j < 3),   bias.grad[3] = 0
    computed in float64 and rounded to float32; at step 4 the bias has no gradient
    (grad = None), so it skips that step and its AdamW step count falls behind;
  - 10 steps; the parameters are printed after steps 1, 2, 5 and 10.

torch runs the single-tensor (for-loop) implementations (foreach=False), the ones Lore follows
operation by operation. The schedules are the lambdas of transformers/optimization.py
(get_constant_schedule_with_warmup, get_linear_schedule_with_warmup,
get_cosine_schedule_with_warmup, get_cosine_with_min_lr_schedule_with_warmup), transcribed
below and driven through torch's LambdaLR exactly as transformers drives them.
"""
import math

import numpy as np
import torch

STEPS = 10
RECORDED = [1, 2, 5, 10]
SKIP_BIAS_AT = 4


def f32(x):
    """Shortest float32 literal."""
    return str(np.float32(x))


def swift_array(values, per_line=8, indent="        "):
    values = [f32(v) for v in values]
    lines = [", ".join(values[k:k + per_line]) for k in range(0, len(values), per_line)]
    return "[\n" + ",\n".join(indent + "    " + line for line in lines) + ",\n" + indent + "]"


def initial_parameters():
    weight = torch.tensor([math.sin(i) for i in range(12)], dtype=torch.float32).reshape(3, 4)
    bias = torch.tensor([0.5 * math.cos(j) for j in range(4)], dtype=torch.float32)
    return torch.nn.Parameter(weight), torch.nn.Parameter(bias)


def gradients(step):
    w = torch.tensor([0.1 * math.cos(0.37 * (i + 1) * step) for i in range(12)], dtype=torch.float32)
    b = torch.tensor([0.05 * math.cos(0.11 * (j + 1) * step + 1) if j < 3 else 0.0 for j in range(4)],
                     dtype=torch.float32)
    return w.reshape(3, 4), b


def trajectory(make_optimizer):
    weight, bias = initial_parameters()
    optimizer = make_optimizer([weight, bias])
    recorded = []
    for step in range(1, STEPS + 1):
        gw, gb = gradients(step)
        weight.grad = gw
        bias.grad = None if step == SKIP_BIAS_AT else gb
        optimizer.step()
        if step in RECORDED:
            recorded.append(weight.detach().flatten().tolist() + bias.detach().tolist())
    return recorded


OPTIMIZERS = [
    ("adamWDefaults", "AdamW()",
     lambda ps: torch.optim.AdamW(ps, foreach=False)),
    ("adamWDecay", "AdamW(learningRate: 0.05, betas: (0.85, 0.98), epsilon: 1e-6, weightDecay: 0.1)",
     lambda ps: torch.optim.AdamW(ps, lr=0.05, betas=(0.85, 0.98), eps=1e-6, weight_decay=0.1, foreach=False)),
    ("sgdPlain", "SGD(learningRate: 0.1)",
     lambda ps: torch.optim.SGD(ps, lr=0.1, foreach=False)),
    ("sgdMomentum", "SGD(learningRate: 0.1, momentum: 0.9)",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, foreach=False)),
    ("sgdDampened", "SGD(learningRate: 0.2, momentum: 0.5, dampening: 0.3, weightDecay: 0.01)",
     lambda ps: torch.optim.SGD(ps, lr=0.2, momentum=0.5, dampening=0.3, weight_decay=0.01, foreach=False)),
    ("sgdNesterov", "SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true)",
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True, foreach=False)),
]


# transformers/optimization.py lambdas (current_step counts from 0, as LambdaLR's last_epoch).
def constant_with_warmup(step, warmup):
    if step < warmup:
        return float(step) / float(max(1.0, warmup))
    return 1.0


def linear_with_warmup(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def cosine_with_warmup(step, warmup, total, cycles=0.5, min_lr_rate=0.0):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


SCHEDULE_STEPS = [0, 1, 4, 9, 10, 11, 25, 50, 77, 99, 100, 101, 130]

SCHEDULES = [
    ("constant", ".constant(3e-4)", 3e-4, lambda s: 1.0),
    ("constantWarmup", ".constant(2e-4, warmupSteps: 8)", 2e-4, lambda s: constant_with_warmup(s, 8)),
    ("linear", ".linear(peak: 1e-3, warmupSteps: 10, totalSteps: 100)", 1e-3,
     lambda s: linear_with_warmup(s, 10, 100)),
    ("linearNoWarmup", ".linear(peak: 5e-4, totalSteps: 77)", 5e-4, lambda s: linear_with_warmup(s, 0, 77)),
    ("cosine", ".cosine(peak: 3e-4, warmupSteps: 10, totalSteps: 100)", 3e-4,
     lambda s: cosine_with_warmup(s, 10, 100)),
    ("cosineFloor", ".cosine(peak: 6e-4, warmupSteps: 4, totalSteps: 100, minimumRatio: 0.1)", 6e-4,
     lambda s: cosine_with_warmup(s, 4, 100, min_lr_rate=0.1)),
    ("cosineCycles", ".cosine(peak: 1e-3, warmupSteps: 0, totalSteps: 50, cycles: 1.5)", 1e-3,
     lambda s: cosine_with_warmup(s, 0, 50, cycles=1.5)),
]


def schedule_values(base_lr, lr_lambda):
    """The lr LambdaLR sets at each of SCHEDULE_STEPS (as transformers' schedulers do)."""
    dummy = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([dummy], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    values = []
    for step in range(max(SCHEDULE_STEPS) + 1):
        if step in SCHEDULE_STEPS:
            values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


def clipping_cases():
    """clip_grad_norm_ on the step-1 gradients scaled up, for p = 2, 1 and inf."""
    cases = []
    for name, max_norm, norm_type, scale in [("l2", 0.25, 2.0, 3.0), ("l1", 1.5, 1.0, 2.0),
                                             ("infinity", 0.1, math.inf, 2.0), ("l2Unclipped", 10.0, 2.0, 1.0)]:
        weight, bias = initial_parameters()
        gw, gb = gradients(1)
        weight.grad, bias.grad = gw * scale, gb * scale
        norm = torch.nn.utils.clip_grad_norm_([weight, bias], max_norm, norm_type=norm_type, foreach=False)
        cases.append((name, max_norm, norm_type, scale, float(norm),
                      weight.grad.flatten().tolist() + bias.grad.tolist()))
    return cases


def main():
    print(f"// torch {torch.__version__}; generated by Scripts/reference_optimizers.py")
    print("// Parameters (weight [3, 4] then bias [4], flattened) after steps", RECORDED)
    for name, swift, make in OPTIMIZERS:
        rows = trajectory(make)
        print(f"    // {swift}")
        print(f"    static let {name}: [[Float]] = [")
        for row in rows:
            print("        " + swift_array(row, indent="        ") + ",")
        print("    ]")
    print()
    print("    // LearningRateSchedule values at steps", SCHEDULE_STEPS)
    print(f"    static let steps = {SCHEDULE_STEPS}")
    for name, swift, base_lr, lr_lambda in SCHEDULES:
        print(f"    // {swift}")
        print(f"    static let {name}: [Float] = " + swift_array(schedule_values(base_lr, lr_lambda), indent="    "))
    print()
    print("    // clip_grad_norm_: (maxNorm, normType, gradient scale, returned norm, clipped gradients)")
    for name, max_norm, norm_type, scale, norm, grads in clipping_cases():
        norm_literal = ".infinity" if math.isinf(norm_type) else f32(norm_type)
        print(f"    static let {name} = Case(maxNorm: {f32(max_norm)}, normType: {norm_literal}, scale: {f32(scale)}, "
              f"norm: {f32(norm)}, clipped: " + swift_array(grads, indent="        ") + ")")


if __name__ == "__main__":
    main()
