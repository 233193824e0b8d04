"""A small third model that lives entirely under tests/: proof that a model is one package plus a registration.

``toy``: a real scalar phi of mass m coupling to muons with strength g (L = g phi mu-bar mu). Its kernel
(:mod:`.kernel`) computes the one-loop Delta a_mu; its spec (:mod:`.spec`) registers it through the
FLAVORSCAN_MODELS environment variable (tests/cli/test_third_model.py), touching no file of the package.
"""
