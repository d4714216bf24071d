"""A fastai-style Learner written from scratch on ember: python -m examples.learner_from_scratch

data.py (image folder, Dataset, collate, DataLoader with worker processes, normalisation),
model.py (Parameter, Module, ConvLayer, Linear, Sequential, AdaptivePool, simple_cnn, hooks),
learner.py (cross entropy, SGD, Learner), callbacks.py (SetupLearnerCB, TrackResults,
LRFinder, OneCycle, ActivationStats); __main__.py runs the chapter.
"""
