"""Files that run inside a learner's sandbox (``runner.py``) or stand in for the course package there.

Nothing in this folder imports the course package: ``runner.py`` needs only the standard library and numpy, and
the two stand-ins are what a learner's ``import tconv_edu`` finds inside the sandbox (``grading_stub.py`` as
``tconv_edu.grading``, ``library_free.py`` as ``tconv_edu`` in an exercise to be written without the library).
"""
