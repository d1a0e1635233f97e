"""The real network's loss landscape: directions in weight space, the loss on a plane through the
trained weights (batched with torch.func), the line between two solutions, and a training path
projected on the plane (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets")."""
