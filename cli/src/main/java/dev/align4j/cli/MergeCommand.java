package dev.align4j.cli;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.io.safetensors.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code align4j merge --model BASE --adapter DIR --output OUT}: PEFT's {@code merge_and_unload}:
 * each LoRA update folded into its weight ({@code W += s·B·A}), written as a plain Hugging Face
 * model folder (with the base's tokenizer files) that transformers, vLLM and align4j load without
 * PEFT. The folder is written whole or not at all.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Fold a LoRA adapter into its base model and write a plain Hugging Face model folder.")
public final class MergeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "The base model folder the adapter was trained on.")
    Path model;

    @Option(names = "--adapter", required = true, description = "The PEFT adapter folder.")
    Path adapter;

    @Option(names = "--output", required = true, description = "The merged model folder to write.")
    Path output;

    @Option(names = "--dtype", defaultValue = "F32", description = "Stored dtype: F32, BF16 or F16 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        LoadedModel base = HfModels.load(model);
        var lora = PeftAdapters.load(base.model(), adapter);
        int layers = lora.adaptedLayers().size();
        lora.mergeAndUnload();
        HfModels.save(base, output, SaveOptions.defaults().withDtype(dtype).withTokenizerFrom(hasTokenizer(model) ? model : null));
        spec.commandLine().getErr().println("merge: " + layers + " adapted layers folded into " + model + " → " + output);
        return 0;
    }

    private static boolean hasTokenizer(Path folder) {
        return HfModels.TOKENIZER_FILES.stream().anyMatch(f -> java.nio.file.Files.isRegularFile(folder.resolve(f)));
    }
}
