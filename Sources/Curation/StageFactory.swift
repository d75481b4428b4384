/// Builds the stages a ``CurationConfig`` switches on, in the pipeline's order.
enum StageFactory {
    static func stages(for config: CurationConfig) throws -> [any PipelineStage] {
        var stages: [any PipelineStage] = []
        if let cleaning = config.cleaning { stages.append(CleaningStage(cleaning)) }
        if let exact = config.exactDedup { stages.append(ExactDeduplicationStage(exact)) }
        if let language = config.languageFilter { stages.append(try LanguageFilterStage(language)) }
        if let filters = config.heuristicFilters { stages.append(HeuristicFilterStage(filters)) }
        if let fuzzy = config.fuzzyDedup { stages.append(FuzzyDeduplicationStage(fuzzy)) }
        if let decontamination = config.decontamination { stages.append(try DecontaminationStage(config: decontamination)) }
        if let pii = config.pii { stages.append(PIIRedactionStage(try pii.redactor())) }
        return stages
    }
}
