# Ferry: one image for every role (relay, project, replicate); the role is the container's first argument.
# Not built in this repository's CI (there is no Docker engine there); the jar it copies is what `mvn package` makes.
# It is the service jar (ferry-app): no embedded stack, demo or benchmarks; those are ferry-local's, for ./ferry.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests -pl ferry-app -am package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 ferry
COPY --from=build /src/ferry-app/target/ferry.jar /opt/ferry/ferry.jar
USER 10001
EXPOSE 8080
# Container-aware heap; the relay and a projector are comfortable in 512 MiB.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["java", "-jar", "/opt/ferry/ferry.jar"]
CMD ["--help"]
