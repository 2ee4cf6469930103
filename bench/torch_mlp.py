"""The bench's PyTorch peer: the same MLP as DEN Lab's throughput rows, trained with Adam on random
batches (speed does not depend on the data), timed after a warm-up. Prints one JSON line.

  python3 bench/torch_mlp.py --features 784 --hidden 312,128 --outputs 10 --batch 256 \
      --lr 0.001 --loss sigmoid-bce-sum --steps 120 --min-seconds 2 --threads 2
"""
import argparse
import json
import sys
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, required=True)
    ap.add_argument("--hidden", required=True, help="comma-separated hidden sizes")
    ap.add_argument("--outputs", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--loss", choices=["sigmoid-bce-sum", "sigmoid-bce", "softmax-ce"], required=True)
    ap.add_argument("--steps", type=int, required=True, help="at least this many timed steps")
    ap.add_argument("--min-seconds", type=float, default=0.0, help="and at least this long")
    ap.add_argument("--threads", type=int, required=True)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    sizes = [a.features] + [int(h) for h in a.hidden.split(",")]
    layers = []
    for i in range(len(sizes) - 1):
        layers += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], a.outputs))
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)

    pool = 8  # a few distinct batches, cycled
    xs = torch.rand(pool, a.batch, a.features)
    labels = torch.randint(0, a.outputs, (pool, a.batch))
    ys = torch.nn.functional.one_hot(labels, a.outputs).float()

    def step(i: int) -> torch.Tensor:
        x, y = xs[i % pool], ys[i % pool]
        logits = net(x)
        if a.loss == "softmax-ce" and a.outputs > 1:
            loss = torch.nn.functional.cross_entropy(logits, labels[i % pool])
        else:
            # TF.js's sigmoidCrossEntropy is the mean over every element; "sum" multiplies by the outputs
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            if a.loss == "sigmoid-bce-sum" and a.outputs > 1:
                loss = loss * a.outputs
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(5):
        step(i)
    steps = 0
    t0 = time.perf_counter()
    while steps < a.steps or time.perf_counter() - t0 < a.min_seconds:
        last = step(steps)
        steps += 1
    last.item()
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "samplesPerSecond": steps * a.batch / seconds,
        "steps": steps,
        "seconds": seconds,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "finalLoss": float(last.item()),
    }))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
