package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.ppo.PPOConfig;
import dev.align4j.train.ppo.PpoTrainer;
import picocli.CommandLine.Command;

import java.io.IOException;

/**
 * {@code align4j ppo --config ppo.yaml [--key value ...]}: PPO against a reward model with TRL's
 * PPOConfig names ({@link PPOConfig}); {@code --help} lists every key with its default. PPO runs its
 * own loop of rollouts and PPO epochs rather than the shared trainer loop; Ctrl-C finishes the
 * update in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true} continues
 * from the latest one.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = "PPO against a reward model (TRL's PPOTrainer): --config ppo.yaml, then any key as --key value.")
public final class PpoCommand extends TrainCommand<PPOConfig> {

    public PpoCommand() {
        super(PPOConfig.class);
    }

    @Override
    Training.Job job(PPOConfig c, Progress progress) throws Exception {
        PpoTrainer trainer = PpoTrainer.create(c, progress);
        return new Training.Job() {
            @Override
            public void requestStop() {
                trainer.requestStop();
            }

            @Override
            public Training.Ended run() throws IOException {
                PpoTrainer.Result r = trainer.run();
                return new Training.Ended(r.updates(), r.stoppedEarly(), r.outputDir());
            }
        };
    }
}
