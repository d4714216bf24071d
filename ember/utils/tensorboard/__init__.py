"""TensorBoard logging (torch.utils.tensorboard's role): ``SummaryWriter`` writes event files that
TensorBoard reads, with no TensorFlow, protobuf or tensorboard package needed at run time."""
from .writer import FileWriter, SummaryWriter

__all__ = ["SummaryWriter", "FileWriter"]
