"""What preprocessing does to data and to learning, for the preprocessing lab: a 2-D point cloud
through its stages (point_cloud.py), gradient descent on a least-squares loss with raw and
preprocessed inputs (conditioning.py), and the lectures' image preprocessing on the digits
(digit_images.py). The maps themselves are train/datasets.py's fit_preprocessing."""
