"""Small, tested helpers for the Data Sharing Playbook course.

Import the modules you need, for example ``from playbook import purpose``. This file stays empty on purpose so
that ``import playbook`` is cheap and pulls in no heavy libraries.
"""
