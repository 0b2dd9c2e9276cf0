package dev.align4j.cli;

import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextListener;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code align4j chat}: talk to a model in the terminal. Each line typed is a user message; the
 * conversation so far goes through the model's chat template with the generation prompt, and the
 * reply is printed token by token as it is generated, then kept in the conversation. {@code /reset}
 * starts over, {@code /exit} or end of input quits. A conversation that outgrows the context keeps
 * its latest tokens (left truncation), as a chat client trims old turns.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal: applies its chat template, streams the reply as it is generated.")
public final class ChatCommand implements Callable<Integer> {

    @Mixin
    SamplingFlags sampling;

    @Spec
    CommandSpec spec;

    @Option(names = "--system", description = "A system message opening the conversation.")
    String system;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (TextModel model = TextModel.load(sampling.model, LoadOptions.defaults(), sampling.adapter)) {
            if (model.template().isEmpty()) {
                throw new IllegalArgumentException(sampling.model + ": the tokenizer config has no chat_template; "
                        + "use `align4j generate --prompt` for a base model");
            }
            Generator generator = new Generator(model.model(), 1);
            List<Map<String, String>> messages = new ArrayList<>();
            if (system != null) messages.add(Map.of("role", "system", "content", system));
            int turn = 0;
            out.println("align4j chat with " + model.name() + " — /reset starts over, /exit quits");
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    messages.subList(system != null ? 1 : 0, messages.size()).clear();
                    continue;
                }
                if (line.isBlank()) continue;
                messages.add(Map.of("role", "user", "content", line));
                SamplingParams params = sampling.params(model, 1).withSeed(1, sampling.seed + turn++);
                int[] prompt = model.encodeChat(messages);
                int room = model.model().contextLength() - 1;
                if (prompt.length > room) prompt = TextModel.keepLast(prompt, room);
                TextCompletion[] reply = new TextCompletion[1];
                generator.submit(new Request(prompt, params), new TextListener(model.tokenizer(), prompt, 1, sampling.stop,
                        new TextListener.Sink() {
                            @Override
                            public void onText(int index, String text) {
                                out.print(text);
                                out.flush();
                            }

                            @Override
                            public void onComplete(int index, TextCompletion completion) {
                                reply[0] = completion;
                            }
                        }));
                while (generator.hasWork()) generator.step();
                out.println(reply[0].finishReason().equals("length") ? " […]" : "");
                messages.add(Map.of("role", "assistant", "content", reply[0].text()));
            }
        }
        return 0;
    }
}
