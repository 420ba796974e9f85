"""Building blocks (attention, convolutions, pooling, activations) profiled on a feature map."""
