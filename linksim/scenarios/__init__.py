"""The scenarios shipped with linksim (also at the source tree's ``scenarios/``), runnable by name:
``linksim run cifar_5db`` or ``linksim run labs/cliff``."""
