"""The Keras bridge: design -> keras.Model (build), -> Python source (export), Keras model ->
design (importer), trained checkpoints. Keras and TensorFlow are imported inside functions
only, so importing these modules (the GUI does at startup) stays fast."""
