"""cnnbench: what a CNN costs — params, checkpoint size, MACs/FLOPs, memory access, activations, latency.

Conventions (every table header repeats them):
  * ``macs``  = multiply-accumulates (what papers and torchvision call "FLOPs");
  * ``flops`` = 2 × macs;
  * memory access = ShuffleNetV2's MAC: elements (and bytes) of all tensor inputs incl. weights
    plus all outputs of every op that moves data; view ops count zero;
  * activations = output elements of convolution / linear / matmul ops (fvcore's and timm's).
"""

__version__ = "0.1.0"
