/* The benchmark floor: libyaml's bare event loop over a file, nothing built.
 * Usage: yaml-scan FILE   (prints the number of events)
 * Build: cc -O2 yaml-scan.c $(pkg-config --cflags --libs yaml-0.1) -o yaml-scan */
#include <stdio.h>
#include <yaml.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: yaml-scan FILE\n");
        return 64;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser)) {
        fprintf(stderr, "cannot initialize libyaml\n");
        return 1;
    }
    yaml_parser_set_input_file(&parser, file);
    unsigned long events = 0;
    int done = 0;
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "%s:%zu:%zu: %s\n", argv[1], parser.problem_mark.line + 1,
                    parser.problem_mark.column + 1, parser.problem ? parser.problem : "error");
            yaml_parser_delete(&parser);
            fclose(file);
            return 1;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        events++;
        yaml_event_delete(&event);
    }
    printf("events: %lu\n", events);
    yaml_parser_delete(&parser);
    fclose(file);
    return 0;
}
