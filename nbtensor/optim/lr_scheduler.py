"""``optim.lr_scheduler``: StepLR."""

__all__ = ["StepLR"]


class StepLR:
    """Multiply each group's learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def step(self):
        self.last_epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.gamma ** (self.last_epoch // self.step_size)

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"step_size": self.step_size, "gamma": self.gamma, "base_lrs": self.base_lrs,
                "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
