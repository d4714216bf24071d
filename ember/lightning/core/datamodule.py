"""LightningDataModule: the data of a task (download, split, loaders) in one class."""

from .module import HyperparametersMixin


class LightningDataModule(HyperparametersMixin):
    """Write ``prepare_data()``, ``setup(stage)`` and ``train_dataloader()`` /
    ``val_dataloader()`` / ``test_dataloader()`` / ``predict_dataloader()`` as needed."""

    name = None
    prepare_data_per_node = True   # data-parallel: prepare_data on each node's local rank 0

    def __init__(self):
        self.trainer = None
        self._log_hyperparams = False

    def prepare_data(self):
        pass

    def setup(self, stage):
        pass

    def teardown(self, stage):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass

    def on_exception(self, exception):
        pass

    @classmethod
    def from_datasets(
        cls,
        train_dataset=None,
        val_dataset=None,
        test_dataset=None,
        predict_dataset=None,
        batch_size=1,
        num_workers=0,
        **datamodule_kwargs,
    ):
        """A DataModule over ready datasets."""
        from ...utils.data import DataLoader

        def loader(ds, shuffle):
            return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers)

        dm = cls(**datamodule_kwargs)
        if train_dataset is not None:
            dm.train_dataloader = lambda: loader(train_dataset, True)
        if val_dataset is not None:
            dm.val_dataloader = lambda: loader(val_dataset, False)
        if test_dataset is not None:
            dm.test_dataloader = lambda: loader(test_dataset, False)
        if predict_dataset is not None:
            dm.predict_dataloader = lambda: loader(predict_dataset, False)
        return dm
