package dev.align4j.data;

import java.util.Optional;

/**
 * How {@link Datasets#load(String, DatasetOptions)} reads files.
 *
 * <p>What it is not: processing options (those are {@link SftOptions}), nor split or shuffle
 * settings (those are calls on {@link Dataset}).
 *
 * <p>Based on Hugging Face {@code datasets.load_dataset("json", field=...)} for {@code field} and
 * on TRL's {@code SFTConfig.dataset_text_field}; {@code skip_invalid_rows} is align4j's.
 *
 * @param skipInvalidRows  skip rows that are not valid JSON or fit no dataset type (they are
 *                         counted in {@link Dataset#skippedRows()}) instead of failing the load
 * @param datasetTextField the column of standard language-modeling text
 * @param field            for a JSON file holding one object: the member whose list holds the rows
 *                         (found by itself when the object has one list member)
 */
public record DatasetOptions(boolean skipInvalidRows, String datasetTextField, Optional<String> field) {

    /** Fail on the first invalid row; text in {@code text}; JSON list member found by itself. */
    public static final DatasetOptions DEFAULT = new DatasetOptions(false, RowFormat.DEFAULT_TEXT_FIELD, Optional.empty());

    public DatasetOptions {
        if (datasetTextField == null || datasetTextField.isBlank()) {
            throw new IllegalArgumentException("dataset_text_field must be a column name, got '" + datasetTextField + "'");
        }
        if (field == null) throw new IllegalArgumentException("field must be Optional.empty() rather than null");
    }

    public DatasetOptions withSkipInvalidRows(boolean skip) {
        return new DatasetOptions(skip, datasetTextField, field);
    }

    public DatasetOptions withDatasetTextField(String name) {
        return new DatasetOptions(skipInvalidRows, name, field);
    }

    public DatasetOptions withField(String name) {
        return new DatasetOptions(skipInvalidRows, datasetTextField, Optional.of(name));
    }
}
