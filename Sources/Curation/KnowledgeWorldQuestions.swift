extension KnowledgeWorld {
    /// How a question is worded.
    public enum QuestionStyle: String, CaseIterable, Sendable {
        /// "Q: In which city was Mara Quillon born?\nA:" — choices follow as " Veltham".
        case questionAnswer = "qa"
        /// A field label to complete: "Birthplace of Mara Quillon:".
        case cloze
    }

    /// One held-out multiple-choice question, in the multiple-choice JSONL format
    /// (`{"question", "choices", "answer", "subject"}`).
    public struct Question: Sendable, Equatable {
        /// The prompt; the scorer appends `" " + choice` to it.
        public var question: String
        /// The candidate answers, all from the attribute's pool, in one format.
        public var choices: [String]
        /// Index of the right choice.
        public var answer: Int
        /// The attribute's raw value (`birth_date`, `birth_city`, `university`, `employer`, `field`).
        public var subject: String
        /// Index of the person in ``KnowledgeWorld/people``.
        public var person: Int

        public init(question: String, choices: [String], answer: Int, subject: String, person: Int) {
            self.question = question
            self.choices = choices
            self.answer = answer
            self.subject = subject
            self.person = person
        }
    }

    /// One question per person and attribute (`people.count × 5`, person by person, attributes
    /// in ``Attribute`` order).
    ///
    /// The wording comes from held-out templates that no biography uses (two or three per
    /// attribute and style, drawn per question). The `choices − 1` distractors are distinct
    /// values drawn uniformly from the attribute's pool without the right answer; for birth
    /// dates they are distinct dates drawn like the people's own (year 1950…1999, month, day),
    /// written in the same "7 March 1961" format, so a distractor usually differs in day, month
    /// and year alike. The right answer goes to a uniform random position. Choices and answer
    /// positions depend only on the seed and `choices`, not on the style, so the two styles
    /// ask exactly the same questions.
    ///
    /// - Parameters:
    ///   - choices: choices per question (default 4; 2…``maximumChoices``).
    ///   - style: the wording (default ``QuestionStyle/questionAnswer``).
    public func questions(choices: Int = 4, style: QuestionStyle = .questionAnswer) -> [Question] {
        check((2...KnowledgeWorld.maximumChoices).contains(choices),
              "KnowledgeWorld.questions: choices must be in 2...\(KnowledgeWorld.maximumChoices), got \(choices)")
        var choiceRandom = KnowledgeRandom(seed: seed, stream: Stream.questions.rawValue)
        var wordingRandom = KnowledgeRandom(seed: seed, stream: Stream.questionWording.rawValue)
        var items: [Question] = []
        items.reserveCapacity(people.count * Attribute.allCases.count)
        for (index, person) in people.enumerated() {
            for attribute in Attribute.allCases {
                let right = person.value(of: attribute)
                var options: [String]
                if attribute == .birthDate {
                    options = []
                    while options.count < choices - 1 {
                        let date = KnowledgeWorld.randomDate(&choiceRandom).text
                        if date != right && !options.contains(date) { options.append(date) }
                    }
                } else {
                    let pool = KnowledgeWorld.pool(of: attribute)
                    options = choiceRandom.distinctIndices(choices - 1, below: pool.count,
                                                           excluding: pool.firstIndex(of: right)!).map { pool[$0] }
                }
                let answer = choiceRandom.below(choices)
                options.insert(right, at: answer)
                let template = wordingRandom.element(of: KnowledgeTemplates.questions[style]![attribute]!)
                items.append(Question(question: KnowledgeTemplates.render(template, name: person.name, value: right),
                                      choices: options, answer: answer, subject: attribute.rawValue, person: index))
            }
        }
        return items
    }
}
